// Kubernetes MCS manifests → causeway state: the sample files of tests/adapters/mcs and the edges.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "controlplane/adapters/mcs/manifests.h"
#include "controlplane/config/config_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::mcs {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Sample(const std::string& name) {
  const char* dir = std::getenv("CAUSEWAY_MCS_SAMPLES");
  absl::StatusOr<std::string> text =
      config::ReadFileOrStdin(absl::StrCat(dir == nullptr ? "." : dir, "/", name));
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : "";
}

std::vector<std::string> Services(const v1::State& s) {
  std::vector<std::string> out;
  for (const v1::Service& svc : s.services()) {
    std::string line = absl::StrCat(svc.namespace_(), "/", svc.name());
    for (const v1::Frontend& f : svc.frontends()) {
      absl::StrAppend(&line, " ", f.vip(), ":", f.port(), "/", v1::Protocol_Name(f.protocol()));
    }
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> Endpoints(const v1::State& s) {
  std::vector<std::string> out;
  for (const v1::Endpoint& e : s.endpoints()) {
    std::string line =
        absl::StrCat(e.service(), " ", e.cluster(), "/", e.address(), ":", e.port(), " ", e.zone());
    if (e.conditions().has_ready()) absl::StrAppend(&line, " ready=", e.conditions().ready());
    if (e.conditions().has_serving()) absl::StrAppend(&line, " serving=", e.conditions().serving());
    if (e.conditions().has_terminating())
      absl::StrAppend(&line, " terminating=", e.conditions().terminating());
    out.push_back(line);
  }
  return out;
}

TEST(McsManifests, ConvertsTheExample) {
  const std::string text = Sample("mcs-example.yaml");
  EXPECT_TRUE(HasKubernetesObjects(text));
  absl::StatusOr<Conversion> c = ConvertManifests(text, "mcs-example.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->state.clusters_size(), 2);
  EXPECT_EQ(c->state.clusters(1).name(), "cluster-b");
  EXPECT_EQ(c->state.clusters(1).id(), 2u);
  EXPECT_THAT(Services(c->state),
              ElementsAre("default/rebel-base 10.96.200.10:80/TCP", "default/web-http 10.96.200.20:80/TCP",
                          "default/web-grpc 10.96.200.20:9090/TCP"));
  EXPECT_THAT(
      Endpoints(c->state),
      ElementsAre("default/rebel-base cluster-a/10.244.1.17:8080 eu-west-1a ready=1 serving=1 terminating=0",
                  "default/rebel-base cluster-a/10.244.2.23:8080 eu-west-1b ready=0 serving=1 terminating=1",
                  "default/rebel-base cluster-b/10.245.3.4:8080 eu-west-1a ready=1",
                  "default/web-http cluster-b/10.245.3.9:8080 eu-west-1b",
                  "default/web-grpc cluster-b/10.245.3.9:9091 eu-west-1b"));
  EXPECT_THAT(c->notes, Contains(HasSubstr("ServiceImport default/db is Headless")));
  EXPECT_THAT(c->notes, Contains(HasSubstr("1 ServiceExport(s): nothing to change")));
  EXPECT_THAT(c->notes, Contains(HasSubstr("hints.forZones ignored")));
}

TEST(McsManifests, ReportsEveryProblemAtItsLine) {
  absl::StatusOr<Conversion> c = ConvertManifests(Sample("mcs-bad.yaml"), "mcs-bad.yaml");
  ASSERT_FALSE(c.ok());
  const std::string m(c.status().message());
  EXPECT_THAT(m, HasSubstr("mcs-bad.yaml:9:"));
  EXPECT_THAT(m, HasSubstr("documents[0].spec.ports[0].port: \"99999\" is not a port"));
  EXPECT_THAT(m, HasSubstr("multicluster.kubernetes.io/source-cluster]: missing"));
  EXPECT_THAT(m, HasSubstr("mcs-bad.yaml:23:"));
  EXPECT_THAT(m, HasSubstr("conditions.ready: not true or false"));
}

TEST(McsManifests, SliceWithoutImportNamesServicesByItsOwnPorts) {
  absl::StatusOr<Conversion> c = ConvertManifests(R"(
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: s
  namespace: shop
  labels: {kubernetes.io/service-name: cart, multicluster.kubernetes.io/source-cluster: east}
addressType: IPv6
ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}, {name: sctp, port: 9, protocol: SCTP}]
endpoints:
- addresses: ["fd00::1", "fd00::2"]
)",
                                                  "t");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(Endpoints(c->state),
              ElementsAre("shop/cart-http east/fd00::1:8080 ", "shop/cart-dns east/fd00::1:53 "));
  EXPECT_THAT(c->notes, ElementsAre(HasSubstr("protocol SCTP is not one causeway forwards")));
}

TEST(McsManifests, SlicePortsTheImportLacksAreSkipped) {
  absl::StatusOr<Conversion> c = ConvertManifests(R"(
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceImport
metadata: {name: a}
spec: {type: ClusterSetIP, ips: [10.9.0.1], ports: [{port: 80}], sessionAffinity: ClientIP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: a-1, labels: {multicluster.kubernetes.io/service-name: a, multicluster.kubernetes.io/source-cluster: c}}
addressType: IPv4
ports: [{port: 8080}, {name: metrics, port: 9100}]
endpoints: [{addresses: [10.1.1.1]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: a}
)",
                                                  "t");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(Services(c->state), ElementsAre("default/a 10.9.0.1:80/TCP"));
  EXPECT_THAT(Endpoints(c->state), ElementsAre("default/a c/10.1.1.1:8080 "));
  EXPECT_THAT(c->notes, ElementsAre(HasSubstr("sessionAffinity ClientIP is not kept"),
                                    HasSubstr("has no TCP port named \"metrics\""),
                                    HasSubstr("Deployment (apps/v1) is not a kind causeway reads")));
}

TEST(McsManifests, PlainStateFilesAreNotKubernetes) {
  EXPECT_FALSE(HasKubernetesObjects("clusters: [{name: a, id: 1}]\n"));
  EXPECT_FALSE(HasKubernetesObjects("{{{ not yaml"));
  EXPECT_FALSE(HasKubernetesObjects(""));
}

TEST(McsManifests, StateDocumentsAreSchemaChecked) {
  absl::StatusOr<Conversion> c = ConvertManifests(R"(
clusters: [{name: a, id: 1, colour: red}]
---
apiVersion: multicluster.x-k8s.io/v1alpha1
kind: ServiceExport
metadata: {name: a}
)",
                                                  "t");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("colour"));
}

}  // namespace
}  // namespace causeway::mcs
