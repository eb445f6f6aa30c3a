#include "controlplane/server/grpc_server.h"

#include <fstream>
#include <sstream>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace causeway::server {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(const ServerOptions& o) {
  if (o.tls_cert.empty() && o.tls_key.empty()) {
    if (!o.tls_client_ca.empty()) return absl::InvalidArgumentError("a client CA needs a server certificate and key");
    return grpc::InsecureServerCredentials();
  }
  if (o.tls_cert.empty() || o.tls_key.empty()) return absl::InvalidArgumentError("TLS needs both a certificate and a key");
  absl::StatusOr<std::string> cert = ReadFile(o.tls_cert);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(o.tls_key);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!o.tls_client_ca.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(o.tls_client_ca);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<RunningServer> StartServer(const ServerOptions& options, ControlPlane* control_plane) {
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = Credentials(options);
  if (!creds.ok()) return creds.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  RunningServer running;
  running.service = std::make_unique<CausewayService>(control_plane);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *creds, absl::StartsWith(options.listen, "unix:") ? nullptr : &running.port);
  builder.RegisterService(running.service.get());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  running.server = builder.BuildAndStart();
  if (running.server == nullptr) return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  running.server->GetHealthCheckService()->SetServingStatus(true);
  return running;
}

}  // namespace causeway::server
