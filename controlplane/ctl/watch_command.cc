#include "controlplane/ctl/watch_command.h"

#include <memory>
#include <ostream>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_join.h"
#include "controlplane/config/config_file.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/interrupt.h"

namespace causeway::ctl {
namespace {

struct WatchOptions {
  uint64_t count = 0;  // 0: until interrupted
  Format format = Format::kTable;
};

int RunWatch(const WatchOptions& o, const ClientOptions& client_options, std::ostream& out,
             std::ostream& err) {
  // Before the client: gRPC's threads must inherit the blocked signals.
  InterruptHandler interrupt;
  return WithClient(client_options, err, [&](Client& client) {
    // No deadline: a watch lasts until --count events or Ctrl-C. An unreachable server still fails at
    // once (UNAVAILABLE), as calls do not wait for a connection.
    grpc::ClientContext context;
    interrupt.OnInterrupt([&context] { context.TryCancel(); });
    const absl::Cleanup forget_context = [&interrupt] { interrupt.OnInterrupt(nullptr); };
    std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader =
        client.stub().Watch(&context, v1::WatchRequest());
    v1::WatchEvent event;
    uint64_t seen = 0;
    while ((o.count == 0 || seen < o.count) && reader->Read(&event)) {
      PrintWatchEvent(event, o.format, out);
      out.flush();  // someone is waiting for each line
      ++seen;
    }
    if (o.count != 0 && seen == o.count) {
      context.TryCancel();
      return kExitOk;
    }
    const grpc::Status status = reader->Finish();
    if (interrupt.interrupted()) return kExitOk;  // the operator stopped it
    if (!status.ok()) return client.ReportFailure(status, "watch", err);
    err << "causewayctl watch: causewayd ended the stream after " << seen << " events\n";
    return kExitOk;
  });
}

}  // namespace

void PrintWatchEvent(const v1::WatchEvent& event, Format format, std::ostream& out) {
  switch (format) {
    case Format::kJson:
      out << config::ToJson(event, /*pretty=*/false) << "\n";
      return;
    case Format::kYaml:
      out << "---\n" << config::ToYaml(event);
      return;
    case Format::kTable:
      out << "version " << event.version() << "  source " << (event.source().empty() ? "-" : event.source())
          << "  (" << event.version_info() << ")  " << absl::StrJoin(event.changes(), "; ") << "\n";
      return;
  }
}

Command AddWatchCommand(CLI::App& app, const ClientOptions& client) {
  auto o = std::make_shared<WatchOptions>();
  CLI::App* cmd = app.add_subcommand("watch", "print every change causewayd accepts until Ctrl-C");
  cmd->add_option("--count", o->count, "stop after this many events");
  AddOutputOption(*cmd, o->format);
  return {cmd, [o, &client](std::ostream& out, std::ostream& err) {
            return RunWatch(*o, client, out, err);
          }};
}

}  // namespace causeway::ctl
