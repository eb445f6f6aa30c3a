// Config files: YAML → causeway.v1 messages and back, and the errors an operator sees.
#include "controlplane/config/config_file.h"

#include <google/protobuf/struct.pb.h>

#include "causeway/v1/api.pb.h"
#include <google/protobuf/util/message_differencer.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kState[] = R"(
gateway:
  cluster: cluster-a
  zone: zone-1
  addresses: [192.0.2.10]
  gue_port: 6080
clusters:
  - name: cluster-a
    id: 1
    region: eu
  - name: cluster-b
    id: 2
    region: eu
    gatewayAddress: 198.51.100.20   # lowerCamelCase works as well
services:
  - namespace: default
    name: rebel-base
    frontends:
      - {vip: 10.96.0.10, port: 80, protocol: TCP}
    affinity: LOCAL
    traffic_distribution: PREFER_SAME_ZONE
    spillover_factor: 1.4
    panic_threshold: 0
    table_size: 0x3fd        # 1021, YAML's hex form
endpoints:
  - service: default/rebel-base
    cluster: cluster-b
    zone: 1                  # a string field takes the scalar as text
    address: 10.244.1.5
    port: "8080"             # proto3 JSON allows quoted numbers
    weight: 3
    conditions: {ready: true, terminating: false}
)";

TEST(ParseStateYaml, ReadsEveryKindOfField) {
  absl::StatusOr<v1::State> state = ParseStateYaml(kState, "state.yaml");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->gateway().cluster(), "cluster-a");
  EXPECT_EQ(state->gateway().gue_port(), 6080u);
  ASSERT_EQ(state->gateway().addresses_size(), 1);
  ASSERT_EQ(state->clusters_size(), 2);
  EXPECT_EQ(state->clusters(1).gateway_address(), "198.51.100.20");
  ASSERT_EQ(state->services_size(), 1);
  const v1::Service& s = state->services(0);
  EXPECT_EQ(s.frontends(0).port(), 80u);
  EXPECT_EQ(s.frontends(0).protocol(), v1::TCP);
  EXPECT_EQ(s.affinity(), v1::LOCAL);
  EXPECT_EQ(s.traffic_distribution(), v1::PREFER_SAME_ZONE);
  EXPECT_DOUBLE_EQ(s.spillover_factor(), 1.4);
  // proto3 optional: an explicit 0 is set, not absent.
  EXPECT_TRUE(s.has_panic_threshold());
  EXPECT_EQ(s.panic_threshold(), 0.0);
  EXPECT_EQ(s.table_size(), 1021u);
  const v1::Endpoint& e = state->endpoints(0);
  EXPECT_EQ(e.zone(), "1");
  EXPECT_EQ(e.port(), 8080u);
  EXPECT_EQ(e.weight(), 3u);
  EXPECT_TRUE(e.conditions().ready());
  EXPECT_TRUE(e.conditions().has_terminating());
  EXPECT_FALSE(e.has_exported());
}

TEST(ParseStateYaml, HealthCheckOfAService) {
  absl::StatusOr<v1::State> state = ParseStateYaml(R"(
services:
  - namespace: default
    name: web
    healthCheck: {kind: HTTP, intervalMs: 500, timeout_ms: 200, rise: 3, fall: 2, httpPath: /healthz, port: 8081}
  - {namespace: default, name: db, health_check: {kind: TCP}}
)", "checks.yaml");
  ASSERT_TRUE(state.ok()) << state.status();
  const v1::HealthCheck& h = state->services(0).health_check();
  EXPECT_EQ(h.kind(), v1::HealthCheck::HTTP);
  EXPECT_EQ(h.interval_ms(), 500u);
  EXPECT_EQ(h.timeout_ms(), 200u);
  EXPECT_EQ(h.rise(), 3u);
  EXPECT_EQ(h.fall(), 2u);
  EXPECT_EQ(h.http_path(), "/healthz");
  EXPECT_EQ(h.port(), 8081u);
  EXPECT_EQ(state->services(1).health_check().kind(), v1::HealthCheck::TCP);
  EXPECT_THAT(ParseStateYaml("services: [{healthCheck: {kind: ICMP}}]", "x.yaml").status().message(),
              HasSubstr("x.yaml:1:33: services[0].health_check.kind"));
}

TEST(ParseStateYaml, EmptyDocumentIsEmptyState) {
  for (const char* text : {"", "# only a comment\n", "---\n"}) {
    absl::StatusOr<v1::State> state = ParseStateYaml(text);
    ASSERT_TRUE(state.ok()) << text << ": " << state.status();
    EXPECT_EQ(state->ByteSizeLong(), 0u) << text;
  }
}

TEST(ParseStateYaml, NullValuesAreUnset) {
  absl::StatusOr<v1::State> state = ParseStateYaml("gateway:\nclusters: ~\n");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_FALSE(state->has_gateway());
  EXPECT_EQ(state->clusters_size(), 0);
}

// An unknown field is refused with the file, its line and column, its path and the fields that
// would have been right.
TEST(ParseStateYaml, UnknownFieldNamesFileLineAndPath) {
  const char* text =
      "services:\n"
      "  - namespace: default\n"
      "    name: web\n"
      "    frontend:\n"
      "      - {vip: 10.96.0.1, port: 80, protocol: TCP}\n";
  absl::StatusOr<v1::State> state = ParseStateYaml(text, "web.yaml");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(state.status().message(),
              AllOf(HasSubstr("web.yaml:4:5: services[0].frontend: unknown field \"frontend\""),
                    HasSubstr("causeway.v1.Service"), HasSubstr("frontends")));
}

TEST(ParseStateYaml, UnknownTopLevelField) {
  absl::StatusOr<v1::State> state = ParseStateYaml("gateway: {}\nservice: []\n", "x.yaml");
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.status().message(), HasSubstr("x.yaml:2:1: service: unknown field"));
}

TEST(ParseStateYaml, ReportsEveryProblemOnItsOwnLine) {
  const char* text =
      "clusters:\n"
      "  - name: a\n"
      "    id: one\n"
      "    colour: red\n"
      "services:\n"
      "  - frontends: [{vip: 10.0.0.1, port: 80, protocol: SCTP}]\n";
  absl::StatusOr<v1::State> state = ParseStateYaml(text, "f.yaml");
  ASSERT_FALSE(state.ok());
  const std::string message(state.status().message());
  EXPECT_THAT(message, HasSubstr("f.yaml:3:9: clusters[0].id: expected an integer (uint32), got \"one\""));
  EXPECT_THAT(message, HasSubstr("f.yaml:4:5: clusters[0].colour: unknown field"));
  EXPECT_THAT(message, HasSubstr("services[0].frontends[0].protocol: unknown causeway.v1.Protocol "
                                 "\"SCTP\" (one of: PROTOCOL_UNSPECIFIED, TCP, UDP)"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 2) << message;
}

TEST(ParseStateYaml, NumbersOutOfTheFieldsRange) {
  EXPECT_THAT(ParseStateYaml("gateway: {mtu: -1}").status().message(),
              HasSubstr("gateway.mtu: -1 must be a non-negative integer"));
  EXPECT_THAT(ParseStateYaml("gateway: {mtu: 4294967296}").status().message(),
              HasSubstr("gateway.mtu: 4294967296 is out of range for uint32"));
  EXPECT_THAT(ParseStateYaml("gateway: {mtu: 1.5}").status().message(),
              HasSubstr("expected an integer"));
  EXPECT_THAT(ParseStateYaml("gateway: {mtu: 99999999999999999999999}").status().message(),
              HasSubstr("expected an integer"));
}

TEST(ParseStateYaml, WrongShapes) {
  EXPECT_THAT(ParseStateYaml("clusters: {name: a}").status().message(),
              HasSubstr("clusters: expected a list"));
  EXPECT_THAT(ParseStateYaml("gateway: cluster-a").status().message(),
              HasSubstr("gateway: expected a mapping of causeway.v1.Gateway fields"));
  EXPECT_THAT(ParseStateYaml("gateway: {zone: [a, b]}").status().message(),
              HasSubstr("gateway.zone: expected a single value (string), not a list"));
  EXPECT_THAT(ParseStateYaml("- a\n- b\n").status().message(),
              HasSubstr("(top): expected a mapping of causeway.v1.State fields"));
}

// YAML 1.2 reads only true/false as bools; "yes" and a quoted "true" are refused for a bool field
// rather than guessed at.
TEST(ParseStateYaml, BoolsAreTrueOrFalse) {
  EXPECT_TRUE(ParseStateYaml("endpoints: [{conditions: {ready: False}}]").ok());
  EXPECT_THAT(ParseStateYaml("endpoints: [{conditions: {ready: yes}}]").status().message(),
              HasSubstr("endpoints[0].conditions.ready: expected true or false, got \"yes\""));
  EXPECT_THAT(ParseStateYaml("endpoints: [{conditions: {ready: \"true\"}}]").status().message(),
              HasSubstr("expected true or false"));
}

TEST(ParseStateYaml, DuplicateKeyNamesBothLines) {
  absl::StatusOr<v1::State> state =
      ParseStateYaml("gateway:\n  zone: a\n  mtu: 1500\n  zone: b\n", "d.yaml");
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.status().message(),
              HasSubstr("d.yaml:4:3: gateway.zone: given twice (first at line 2)"));
}

TEST(ParseStateYaml, BothSpellingsOfOneFieldAreADuplicate) {
  EXPECT_THAT(
      ParseStateYaml("clusters: [{gateway_address: a, gatewayAddress: b}]").status().message(),
      HasSubstr("given twice"));
}

TEST(ParseYaml, OneMemberOfAOneof) {
  v1::PushRequest request;
  EXPECT_TRUE(ParseYaml("source: a\ndelta: {delete_clusters: [x]}\n", "p.yaml", request).ok());
  EXPECT_TRUE(request.has_delta());
  const absl::Status s = ParseYaml("snapshot: {}\ndelta: {}\n", "p.yaml", request);
  EXPECT_THAT(s.message(),
              HasSubstr("p.yaml:2:1: delta: only one of change's fields may be set (also snapshot)"));
}

TEST(ParseStateYaml, SyntaxErrorNamesLine) {
  absl::StatusOr<v1::State> state = ParseStateYaml("gateway:\n  zone: [a, b\n", "s.yaml");
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.status().message(), AllOf(HasSubstr("s.yaml:"), HasSubstr("YAML syntax")));
}

TEST(ParseStateYaml, OneDocumentPerFile) {
  EXPECT_THAT(ParseStateYaml("gateway: {}\n---\nclusters: []\n", "m.yaml").status().message(),
              HasSubstr("m.yaml: 2 YAML documents"));
}

TEST(ParseStateYaml, EnumByNumber) {
  absl::StatusOr<v1::State> state = ParseStateYaml("services: [{forwarding: 3}]");
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ(state->services(0).forwarding(), v1::FULL_NAT);
}

TEST(ParseStateYaml, TooManyProblemsAreCut) {
  std::string text = "clusters:\n";
  for (int i = 0; i < 50; ++i) text += "  - {id: x}\n";
  const std::string message(ParseStateYaml(text).status().message());
  EXPECT_THAT(message, HasSubstr("... and 30 more problems"));
}

// Without a schema (google.protobuf.Struct) the YAML form decides: plain scalars that look like
// numbers or bools become numbers or bools, quoted ones stay strings.
TEST(ParseYaml, SchemalessScalarsFollowTheirYamlForm) {
  google::protobuf::Struct s;
  ASSERT_TRUE(ParseYaml("a: 80\nb: \"80\"\nc: true\nd: 'true'\ne: 10.0.0.1\nf: ~\ng: 0x10\n", "s", s)
                  .ok());
  const auto& f = s.fields();
  EXPECT_EQ(f.at("a").number_value(), 80);
  EXPECT_EQ(f.at("b").string_value(), "80");
  EXPECT_TRUE(f.at("c").bool_value());
  EXPECT_EQ(f.at("d").string_value(), "true");
  EXPECT_EQ(f.at("e").string_value(), "10.0.0.1");
  EXPECT_EQ(f.at("f").kind_case(), google::protobuf::Value::kNullValue);
  EXPECT_EQ(f.at("g").number_value(), 16);
}

TEST(LoadStateFile, MissingFile) {
  absl::StatusOr<v1::State> state = LoadStateFile("/nonexistent/causeway.yaml");
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(state.status().message(), HasSubstr("/nonexistent/causeway.yaml"));
}

TEST(ToJson, UsesTheProtoFieldNames) {
  v1::Cluster c;
  c.set_name("cluster-b");
  c.set_gateway_address("198.51.100.20");
  const std::string json = ToJson(c, /*pretty=*/false);
  EXPECT_THAT(json, HasSubstr("\"gateway_address\":\"198.51.100.20\""));
  EXPECT_THAT(json, Not(HasSubstr("gatewayAddress")));
  EXPECT_THAT(json, Not(HasSubstr("\n")));
}

// What ToYaml prints loads back to the same message, strings that look like numbers, bools or null
// included.
TEST(ToYaml, RoundTrips) {
  absl::StatusOr<v1::State> state = ParseStateYaml(kState);
  ASSERT_TRUE(state.ok()) << state.status();
  v1::Endpoint* tricky = state->add_endpoints();
  tricky->set_zone("true");
  tricky->set_region("null");
  tricky->set_cluster("0x10");
  tricky->set_service("a: b # c");
  tricky->set_address("~");
  const std::string yaml = ToYaml(*state);
  absl::StatusOr<v1::State> back = ParseStateYaml(yaml, "printed");
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*state, *back)) << yaml;
  EXPECT_THAT(yaml, HasSubstr("zone: \"1\""));
  EXPECT_THAT(yaml, HasSubstr("gateway_address: 198.51.100.20"));
}

// Multi-line text prints as a literal block and still loads back as the same string.
TEST(ToYaml, MultiLineTextAsLiteralBlock) {
  google::protobuf::Struct s;
  const std::string table = "A  B\nx  y\n  indented\n";
  (*s.mutable_fields())["text"].set_string_value(table);
  (*s.mutable_fields())["two"].set_string_value("a\n\n");
  (*s.mutable_fields())["none"].set_string_value("a\nb");
  const std::string yaml = ToYaml(s);
  EXPECT_THAT(yaml, HasSubstr("text: |\n  A  B\n  x  y\n    indented\n"));
  google::protobuf::Struct back;
  ASSERT_TRUE(ParseYaml(yaml, "printed", back).ok()) << yaml;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(s, back)) << yaml;
}

TEST(ToYaml, EmptyMessage) { EXPECT_EQ(ToYaml(v1::State()), "{}\n"); }

}  // namespace
}  // namespace causeway::config
