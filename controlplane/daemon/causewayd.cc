// causewayd: the gateway. Today it runs the control plane (gRPC API, validation, versioning,
// compilation, persistence); the compiled snapshots go to the dataplane's SnapshotSink once the
// dataplane is wired in, and to a logging sink until then.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "controlplane/config/config_file.h"
#include "controlplane/server/grpc_server.h"

ABSL_FLAG(std::string, listen, "unix:/run/causeway/causeway.sock",
          "gRPC address: unix:/path, 127.0.0.1:PORT or [::1]:PORT");
ABSL_FLAG(std::string, state_dir, "/var/lib/causeway", "where the last accepted state is kept (empty: nowhere)");
ABSL_FLAG(std::string, config, "", "initial state (YAML), used when the state directory holds none");
ABSL_FLAG(std::string, tls_cert, "", "server certificate (PEM); with --tls_key enables TLS");
ABSL_FLAG(std::string, tls_key, "", "server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "", "CA (PEM) that client certificates must be signed by (mutual TLS)");

namespace {

// Until the dataplane is wired in: say what would be forwarded.
class LoggingSink final : public causeway::snapshot::SnapshotSink {
 public:
  void Publish(std::shared_ptr<const causeway::snapshot::CompiledSnapshot> s) override {
    size_t tables = 0;
    for (const auto& svc : s->services) tables += svc.tables.size();
    std::fprintf(stderr, "causewayd: snapshot version %llu: %zu services, %zu tables\n",
                 static_cast<unsigned long long>(s->version), s->services.size(), tables);
  }
};

int Fail(const std::string& message) {
  std::fprintf(stderr, "causewayd: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("causewayd: causeway's gateway daemon");
  absl::ParseCommandLine(argc, argv);

  // SIGINT/SIGTERM are taken by sigwait below; block them before gRPC starts its threads.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const std::string state_dir = absl::GetFlag(FLAGS_state_dir);
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) return Fail(absl::StrCat("cannot create ", state_dir, ": ", ec.message()));
  }
  LoggingSink sink;
  causeway::server::ControlPlane control_plane({.state_dir = state_dir}, &sink);
  if (absl::Status s = control_plane.Restore(); !s.ok()) return Fail(std::string(s.message()));
  const std::string config = absl::GetFlag(FLAGS_config);
  if (!config.empty()) {
    if (control_plane.version() != 0) {
      std::fprintf(stderr, "causewayd: state restored from %s (version %llu); --config not applied\n", state_dir.c_str(),
                   static_cast<unsigned long long>(control_plane.version()));
    } else {
      absl::StatusOr<causeway::v1::State> initial = causeway::config::LoadStateFile(config);
      if (!initial.ok()) return Fail(std::string(initial.status().message()));
      causeway::v1::PushRequest push;
      push.set_source("config-file");
      push.set_version_info(config);
      *push.mutable_snapshot() = *initial;
      const causeway::server::PushOutcome out = control_plane.Push(push);
      if (!out.status.ok()) return Fail(absl::StrCat(config, " refused:\n", out.status.message()));
    }
  }

  causeway::server::ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  options.tls_key = absl::GetFlag(FLAGS_tls_key);
  options.tls_client_ca = absl::GetFlag(FLAGS_tls_client_ca);
  if (absl::StartsWith(options.listen, "unix:")) {
    const std::filesystem::path socket = options.listen.substr(5);
    std::error_code ec;
    std::filesystem::create_directories(socket.parent_path(), ec);
    std::filesystem::remove(socket, ec);  // a stale socket from a previous run
  }
  absl::StatusOr<causeway::server::RunningServer> server = causeway::server::StartServer(options, &control_plane);
  if (!server.ok()) return Fail(std::string(server.status().message()));
  std::fprintf(stderr, "causewayd: listening on %s%s (version %llu)\n", options.listen.c_str(),
               server->port ? absl::StrCat(" port ", server->port).c_str() : "",
               static_cast<unsigned long long>(control_plane.version()));

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::fprintf(stderr, "causewayd: signal %d, stopping\n", signal_number);
  // Open Stream and Watch calls never end by themselves: give them two seconds, then cancel them.
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}
