// Builds and starts the gRPC server: the causeway API, gRPC's health service, server reflection,
// and transport security. Listens on a unix socket or loopback by default; TLS, and mutual TLS with
// a client CA, when configured — a config API must not be open to anyone who reaches the port.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_GRPC_SERVER_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_GRPC_SERVER_H_

#include <memory>
#include <string>

#include <grpcpp/server.h>

#include "absl/status/statusor.h"
#include "controlplane/server/causeway_service.h"

namespace causeway::server {

struct ServerOptions {
  // "unix:/run/causeway/causeway.sock", "127.0.0.1:7070", "[::1]:7070". Port 0 picks a free port.
  std::string listen = "unix:/run/causeway/causeway.sock";
  // PEM files. With cert and key: TLS. With a client CA as well: clients must present a certificate
  // signed by it (mTLS).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Larger messages are refused with RESOURCE_EXHAUSTED before they are parsed.
  int max_message_bytes = 64 << 20;
};

struct RunningServer {
  std::unique_ptr<CausewayService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // the TCP port bound (0 for unix sockets)
};

absl::StatusOr<RunningServer> StartServer(const ServerOptions& options, ControlPlane* control_plane);

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_GRPC_SERVER_H_
