// The connection to causewayd that every online command shares: channel and stub from the global
// flags, a per-call deadline, and one way of reporting a failed call.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_CLIENT_H_
#define CAUSEWAY_CONTROLPLANE_CTL_CLIENT_H_

#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "causeway/v1/api.grpc.pb.h"

namespace causeway::ctl {

inline constexpr char kDefaultServer[] = "unix:/run/causeway/causeway.sock";

struct ClientOptions {
  // gRPC target: "unix:/path/to.sock" or "host:port".
  std::string server;
  // TLS when `ca` is set: the CA that signed causewayd's certificate. `cert` and `key` add a client
  // certificate (mutual TLS).
  std::string ca;
  std::string cert;
  std::string key;
  // Checks the server certificate against this name instead of the target's host.
  std::string server_name;
  // Per call, in seconds; streams (watch) have none.
  double timeout_seconds = 10;
};

// $CAUSEWAY_SERVER, else kDefaultServer.
std::string DefaultServer();

class Client {
 public:
  // Fails (for exit code 2) when a certificate file cannot be read or the flags do not fit together.
  static absl::StatusOr<Client> Connect(const ClientOptions& options);

  v1::Causeway::Stub& stub() { return *stub_; }
  const ClientOptions& options() const { return options_; }

  // A context for a unary call, with the deadline of --timeout.
  std::unique_ptr<grpc::ClientContext> UnaryContext() const;

  // Prints why `status` failed, the server's message one line per problem, and returns the exit code:
  // kExitUnreachable for a server that could not be reached, else kExitRefused. `what` names the
  // request ("the change", "explain"). `locate`, when given, returns text to append to a problem line
  // (where it is in the input file).
  int ReportFailure(const grpc::Status& status, const std::string& what, std::ostream& err,
                    const std::function<std::string(absl::string_view)>& locate = {}) const;

 private:
  Client(ClientOptions options, std::unique_ptr<v1::Causeway::Stub> stub)
      : options_(std::move(options)), stub_(std::move(stub)) {}

  ClientOptions options_;
  std::unique_ptr<v1::Causeway::Stub> stub_;
};

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_CLIENT_H_
