#include "controlplane/ctl/apply_command.h"

#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "controlplane/adapters/mcs/manifests.h"
#include "controlplane/config/config_file.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/output.h"
#include "controlplane/ctl/problem_location.h"

namespace causeway::ctl {
namespace {

struct ApplyOptions {
  std::string file;
  bool replace = false;
  std::string version_info;
  Format format = Format::kTable;
};

std::string Summary(const v1::State& state) {
  return absl::StrCat(state.clusters_size(), " clusters, ", state.services_size(), " services, ",
                      state.endpoints_size(), " endpoints",
                      state.has_gateway() ? ", gateway settings" : "");
}

// The state the manifests describe; what has no causeway counterpart is noted on `err`.
absl::StatusOr<v1::State> ConvertManifests(const std::string& text, const std::string& file, std::ostream& err) {
  absl::StatusOr<mcs::Conversion> c = mcs::ConvertManifests(text, file);
  if (!c.ok()) return c.status();
  for (const std::string& note : c->notes) err << "causewayctl apply: note: " << note << "\n";
  return std::move(c->state);
}

int RunApply(const ApplyOptions& o, const ClientOptions& client_options, std::ostream& out,
             std::ostream& err) {
  // The file is checked before anything is sent: a bad file is the caller's mistake (exit 2), whatever
  // the server's state.
  const std::string file = o.file == "-" ? "<stdin>" : o.file;
  absl::StatusOr<std::string> text = config::ReadFileOrStdin(o.file);
  // Kubernetes MCS manifests (ServiceImport, EndpointSlice, ...) are converted by adapters/mcs.
  const bool manifests = text.ok() && mcs::HasKubernetesObjects(*text);
  absl::StatusOr<v1::State> state = !text.ok()  ? absl::StatusOr<v1::State>(text.status())
                                    : manifests ? ConvertManifests(*text, file, err)
                                                : config::ParseStateYaml(*text, file);
  if (!state.ok()) {
    err << "causewayctl apply: " << state.status().message() << "\n";
    return kExitUsage;
  }
  const config::SourceLines lines = config::SourceLines::Index(*text);
  const std::string label =
      o.version_info.empty() ? absl::StrCat("apply ", file) : o.version_info;
  const v1::PushRequest request = BuildApplyRequest(*state, o.replace, label);
  return WithClient(client_options, err, [&](Client& client) {
    v1::PushResponse response;
    const grpc::Status status = client.stub().Push(client.UnaryContext().get(), request, &response);
    if (!status.ok()) {
      return client.ReportFailure(status, "the change", err, [&](absl::string_view problem) {
        // Converted manifests are not in the file's order: no line to point at.
        return manifests ? std::string() : ProblemLocation(problem, *state, lines, file);
      });
    }
    if (o.format != Format::kTable) {
      PrintMessage(response, o.format, out);
    } else {
      out << (o.replace ? "replaced the state with " : "applied ") << Summary(*state)
          << ": version " << response.version() << "\n";
    }
    return kExitOk;
  });
}

}  // namespace

v1::PushRequest BuildApplyRequest(const v1::State& state, bool replace,
                                  const std::string& version_info) {
  v1::PushRequest request;
  request.set_source(kPushSource);
  request.set_version_info(version_info);
  if (replace) {
    *request.mutable_snapshot() = state;
    return request;
  }
  v1::Delta& delta = *request.mutable_delta();
  if (state.has_gateway()) *delta.mutable_gateway() = state.gateway();
  *delta.mutable_upsert_clusters() = state.clusters();
  *delta.mutable_upsert_services() = state.services();
  *delta.mutable_upsert_endpoints() = state.endpoints();
  return request;
}

Command AddApplyCommand(CLI::App& app, const ClientOptions& client) {
  auto o = std::make_shared<ApplyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "apply", "push a config file (YAML of causeway.v1.State, or Kubernetes MCS manifests): upsert what it lists");
  cmd->add_option("-f,--filename", o->file, "the file, or - for standard input")->required();
  cmd->add_flag("--replace", o->replace,
                "the file is the whole state: what it does not list is deleted (a snapshot push)");
  cmd->add_option("--version-info", o->version_info,
                  "label for this version, echoed by causewayd (default: apply FILE)");
  AddOutputOption(*cmd, o->format);
  return {cmd, [o, &client](std::ostream& out, std::ostream& err) {
            return RunApply(*o, client, out, err);
          }};
}

}  // namespace causeway::ctl
