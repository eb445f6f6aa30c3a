#include "controlplane/ctl/client.h"

#include <chrono>
#include <cstdlib>
#include <ostream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "controlplane/config/config_file.h"
#include "controlplane/ctl/command.h"
#include "controlplane/ctl/exit_codes.h"

namespace causeway::ctl {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  absl::StatusOr<std::string> pem = config::ReadFileOrStdin(path);
  if (!pem.ok()) return absl::InvalidArgumentError(absl::StrCat(flag, ": ", pem.status().message()));
  return pem;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(const ClientOptions& o) {
  if (o.ca.empty()) {
    if (!o.cert.empty() || !o.key.empty()) {
      return absl::InvalidArgumentError("--cert and --key need --ca (TLS is on when --ca is given)");
    }
    // A unix socket or loopback port is protected by who can reach it (the daemon's default).
    return grpc::InsecureChannelCredentials();
  }
  if (o.cert.empty() != o.key.empty()) {
    return absl::InvalidArgumentError("--cert and --key go together (the client certificate)");
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> ca = ReadPem("--ca", o.ca);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *ca;
  if (!o.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadPem("--cert", o.cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadPem("--key", o.key);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace

std::string DefaultServer() {
  const char* env = std::getenv("CAUSEWAY_SERVER");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultServer);
}

absl::StatusOr<Client> Client::Connect(const ClientOptions& options) {
  if (options.server.empty()) return absl::InvalidArgumentError("--server is empty");
  if (!(options.timeout_seconds > 0)) return absl::InvalidArgumentError("--timeout must be > 0");
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments args;
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  // Connecting is lazy; the first call reports an unreachable server (UNAVAILABLE).
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.server, *credentials, args);
  return Client(options, v1::Causeway::NewStub(channel));
}

std::unique_ptr<grpc::ClientContext> Client::UnaryContext() const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(
                            std::chrono::duration<double>(options_.timeout_seconds)));
  return context;
}

int Client::ReportFailure(const grpc::Status& status, const std::string& what, std::ostream& err,
                          const std::function<std::string(absl::string_view)>& locate) const {
  const std::string& message = status.error_message();
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      err << "causewayctl: cannot reach causewayd at " << options_.server << ": " << message << "\n";
      return kExitUnreachable;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      err << "causewayctl: cannot reach causewayd at " << options_.server << ": no answer within "
          << options_.timeout_seconds << "s (--timeout)\n";
      return kExitUnreachable;
    default:
      break;
  }
  // The server lists one problem per line (field path first); print each on its own line so that
  // none hides in a long one.
  err << "causewayctl: causewayd refused " << what << " ("
      << absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())) << "):\n";
  for (absl::string_view line : absl::StrSplit(message, '\n', absl::SkipWhitespace())) {
    err << "  " << line << (locate ? locate(line) : "") << "\n";
  }
  return kExitRefused;
}

int WithClient(const ClientOptions& options, std::ostream& err,
               const std::function<int(Client&)>& body) {
  absl::StatusOr<Client> client = Client::Connect(options);
  if (!client.ok()) {
    err << "causewayctl: " << client.status().message() << "\n";
    return kExitUsage;
  }
  return body(*client);
}

}  // namespace causeway::ctl
