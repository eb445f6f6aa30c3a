#include "controlplane/ctl/get_command.h"

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "controlplane/ctl/exit_codes.h"
#include "controlplane/ctl/output.h"
#include "controlplane/partition/hold_down.h"

namespace causeway::ctl {
namespace {

struct GetOptions {
  std::string kind;
  std::string service;
  Format format = Format::kTable;
};

std::string Frontends(const v1::Service& s) {
  std::vector<std::string> parts;
  for (const v1::Frontend& f : s.frontends()) {
    parts.push_back(absl::StrCat(f.vip(), ":", f.port() == 0 ? "*" : absl::StrCat(f.port()), "/",
                                 v1::Protocol_Name(f.protocol())));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ",");
}

// kube-proxy's reading of the EndpointSlice conditions (unset ready/serving = true).
std::string ConditionsLabel(const v1::Conditions& c) {
  const bool ready = !c.has_ready() || c.ready();
  const bool serving = !c.has_serving() || c.serving();
  if (c.terminating()) return serving ? "terminating" : "terminating,not-serving";
  if (ready) return "ready";
  return serving ? "serving" : "not-ready";
}

// A time for people: "350ms", "4.2s", "2m5s".
std::string Duration(uint64_t ms) {
  if (ms < 1000) return absl::StrCat(ms, "ms");
  if (ms < 60000) return absl::StrFormat("%.1fs", static_cast<double>(ms) / 1000);
  return absl::FormatDuration(absl::Seconds(ms / 1000));
}

std::string FreshnessLabel(const v1::ClusterStatus& c) {
  switch (c.freshness()) {
    case v1::ClusterStatus::LOCAL:
      return "local";
    case v1::ClusterStatus::NO_LEASE:
      return "no lease";
    case v1::ClusterStatus::FRESH:
      return "fresh";
    case v1::ClusterStatus::STALE:
      return absl::StrCat("stale for ", Duration(c.stale_for_ms()));
    case v1::ClusterStatus::HOLDING_DOWN:
      return absl::StrCat("holding down (", Duration(c.hold_down_left_ms()), " left)");
    default:
      return "-";
  }
}

// The partition policies of the cluster's services ("KEEP 2, SAFE_MODE 1"), and its writer leases.
std::string PoliciesLabel(const v1::ClusterStatus& c) {
  std::vector<std::string> parts;
  for (const char* policy : {"KEEP", "DROP", "SAFE_MODE"}) {
    if (auto it = c.services_by_policy().find(policy); it != c.services_by_policy().end()) {
      parts.push_back(absl::StrCat(policy, " ", it->second));
    }
  }
  if (c.writer_of() != 0) parts.push_back(absl::StrCat("writer of ", c.writer_of()));
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string WriterLabel(const v1::Service& s) {
  if (!s.has_writer()) return "-";
  const v1::Writer& w = s.writer();
  return absl::StrCat(w.cluster(), " #", w.fencing_token(), " ports ",
                      w.write_ports().empty() ? "*" : absl::StrJoin(w.write_ports(), ","));
}

// One List call, printed as a table or as the message.
template <typename Request, typename Response>
grpc::Status CallAndPrint(Client& client,
                          grpc::Status (v1::Causeway::Stub::*call)(grpc::ClientContext*,
                                                                    const Request&, Response*),
                          const Request& request,
                          void (*print_table)(const Response&, std::ostream&), Format format,
                          std::ostream& out) {
  Response response;
  const grpc::Status status = (client.stub().*call)(client.UnaryContext().get(), request, &response);
  if (status.ok()) PrintAs(response, format, out, print_table);
  return status;
}

int RunGet(const GetOptions& o, const ClientOptions& client_options, std::ostream& out,
           std::ostream& err) {
  return WithClient(client_options, err, [&](Client& client) {
    grpc::Status status;
    if (o.kind == "services") {
      status = CallAndPrint(client, &v1::Causeway::Stub::ListServices, v1::ListRequest(),
                            &PrintServicesTable, o.format, out);
    } else if (o.kind == "state") {
      // A config file: YAML unless JSON is asked for.
      v1::State state;
      status = client.stub().GetState(client.UnaryContext().get(), v1::GetStateRequest(), &state);
      if (status.ok()) PrintMessage(state, o.format == Format::kJson ? Format::kJson : Format::kYaml, out);
    } else if (o.kind == "endpoints") {
      v1::ListEndpointsRequest request;
      request.set_service(o.service);
      status = CallAndPrint(client, &v1::Causeway::Stub::ListEndpoints, request,
                            &PrintEndpointsTable, o.format, out);
    } else {
      status = CallAndPrint(client, &v1::Causeway::Stub::ListClusters, v1::ListRequest(),
                            &PrintClustersTable, o.format, out);
    }
    if (!status.ok()) return client.ReportFailure(status, absl::StrCat("get ", o.kind), err);
    return kExitOk;
  });
}

}  // namespace

void PrintServicesTable(const v1::ListServicesResponse& response, std::ostream& out) {
  Table table({"SERVICE", "FRONTENDS", "SCOPE", "AFFINITY", "DISTRIBUTION", "FORWARDING",
               "ENDPOINTS", "TABLES", "PARTITION", "WRITER"});
  for (const v1::ServiceStatus& status : response.services()) {
    const v1::Service& s = status.service();
    table.AddRow({absl::StrCat(s.namespace_(), "/", s.name()), Frontends(s),
                  EffectiveEnumName(*v1::Scope_descriptor(), s.scope()),
                  EffectiveEnumName(*v1::Affinity_descriptor(), s.affinity()),
                  EffectiveEnumName(*v1::TrafficDistribution_descriptor(), s.traffic_distribution()),
                  EffectiveEnumName(*v1::Forwarding_descriptor(), s.forwarding()),
                  absl::StrCat(status.endpoints()),
                  status.table_sizes().empty()
                      ? absl::StrCat(status.tables())
                      : absl::StrCat(status.tables(), " (", absl::StrJoin(status.table_sizes(), ","),
                                     ")"),
                  EffectiveEnumName(*v1::PartitionPolicy_descriptor(), s.partition_policy()), WriterLabel(s)});
  }
  table.Print(out);
}

void PrintEndpointsTable(const v1::ListEndpointsResponse& response, std::ostream& out) {
  Table table({"SERVICE", "CLUSTER", "ENDPOINT", "ZONE", "REGION", "WEIGHT", "CONDITIONS", "HEALTH",
               "EXPORTED"});
  for (const v1::Endpoint& e : response.endpoints()) {
    table.AddRow({e.service(), e.cluster(), absl::StrCat(e.address(), ":", e.port()),
                  e.zone().empty() ? "-" : e.zone(), e.region().empty() ? "-" : e.region(),
                  absl::StrCat(e.has_weight() ? e.weight() : 1), ConditionsLabel(e.conditions()),
                  EffectiveEnumName(*v1::Health_descriptor(), e.health()),
                  !e.has_exported() || e.exported() ? "yes" : "no"});
  }
  table.Print(out);
}

void PrintClustersTable(const v1::ListClustersResponse& response, std::ostream& out) {
  Table table({"CLUSTER", "ID", "REGION", "GATEWAY", "ENDPOINTS", "FRESHNESS", "RENEWED", "TTL", "HOLD-DOWN",
               "PARTITION POLICIES"});
  for (const v1::ClusterStatus& status : response.clusters()) {
    const v1::Cluster& c = status.cluster();
    const bool leased = status.freshness() != v1::ClusterStatus::LOCAL &&
                        status.freshness() != v1::ClusterStatus::NO_LEASE &&
                        status.freshness() != v1::ClusterStatus::FRESHNESS_UNSPECIFIED;
    const uint64_t hold_down_ms = partition::HoldDownMs(c);
    table.AddRow({c.name(), absl::StrCat(c.id()), c.region().empty() ? "-" : c.region(),
                  c.gateway_address().empty() ? "-" : c.gateway_address(), absl::StrCat(status.endpoints()),
                  FreshnessLabel(status),
                  status.freshness() == v1::ClusterStatus::LOCAL || status.freshness() == v1::ClusterStatus::FRESHNESS_UNSPECIFIED
                      ? "-"
                      : absl::StrCat(Duration(status.renewed_ms_ago()), " ago"),
                  leased ? Duration(c.lease_ttl_ms()) : "-", leased ? Duration(hold_down_ms) : "-",
                  PoliciesLabel(status)});
  }
  table.Print(out);
}

Command AddGetCommand(CLI::App& app, const ClientOptions& client) {
  auto o = std::make_shared<GetOptions>();
  CLI::App* cmd =
      app.add_subcommand("get", "list what causewayd holds: services, endpoints, clusters, or the whole state");
  cmd->add_option("kind", o->kind, "services, endpoints, clusters, or state (a config file, YAML)")
      ->required()
      ->check(CLI::IsMember({"services", "endpoints", "clusters", "state"}));
  cmd->add_option("--service", o->service, "endpoints: only this service's (namespace/name)");
  AddOutputOption(*cmd, o->format);
  return {cmd, [o, &client](std::ostream& out, std::ostream& err) {
            return RunGet(*o, client, out, err);
          }};
}

}  // namespace causeway::ctl
