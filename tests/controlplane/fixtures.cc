#include "tests/controlplane/fixtures.h"

#include <stdlib.h>

#include <filesystem>

#include "gtest/gtest.h"

namespace causeway::testing {

v1::Endpoint MakeEndpoint(const std::string& cluster, const std::string& address, const std::string& zone) {
  v1::Endpoint e;
  e.set_service("default/rebel-base");
  e.set_cluster(cluster);
  e.set_address(address);
  e.set_port(80);
  e.set_zone(zone);
  return e;
}

v1::State TwoClusterState() {
  v1::State s;
  v1::Gateway* g = s.mutable_gateway();
  g->set_cluster("cluster-a");
  g->set_zone("us-east-1a");
  g->add_addresses("192.0.2.1");
  v1::ClientZone* z = g->add_client_zones();
  z->set_prefix("10.244.0.0/17");
  z->set_zone("us-east-1b");
  v1::Cluster* a = s.add_clusters();
  a->set_name("cluster-a");
  a->set_id(1);
  a->set_region("us-east-1");
  v1::Cluster* b = s.add_clusters();
  b->set_name("cluster-b");
  b->set_id(2);
  b->set_region("us-east-1");
  b->set_gateway_address("192.0.2.2");
  v1::Service* svc = s.add_services();
  svc->set_namespace_("default");
  svc->set_name("rebel-base");
  v1::Frontend* f = svc->add_frontends();
  f->set_vip("10.96.0.10");
  f->set_port(80);
  f->set_protocol(v1::TCP);
  *s.add_endpoints() = MakeEndpoint("cluster-a", "10.244.1.10", "us-east-1a");
  *s.add_endpoints() = MakeEndpoint("cluster-a", "10.244.2.10", "us-east-1b");
  *s.add_endpoints() = MakeEndpoint("cluster-b", "10.244.1.10", "us-east-1a");
  *s.add_endpoints() = MakeEndpoint("cluster-b", "10.244.2.10", "us-east-1b");
  return s;
}

v1::PushRequest SnapshotPush(const v1::State& s) {
  v1::PushRequest r;
  r.set_source("test");
  *r.mutable_snapshot() = s;
  return r;
}

TempDir::TempDir() {
  char pattern[] = "/tmp/causeway-test-XXXXXX";
  path_ = mkdtemp(pattern);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ServerHarness::ServerHarness(const std::string& state_dir, server::ServerOptions options) {
  control_plane = std::make_unique<server::ControlPlane>(server::ControlPlane::Options{.state_dir = state_dir}, &sink);
  EXPECT_TRUE(control_plane->Restore().ok());
  address = "unix:" + socket_dir.path() + "/causeway.sock";
  options.listen = address;
  absl::StatusOr<server::RunningServer> r = server::StartServer(options, control_plane.get());
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok()) running = *std::move(r);
}

ServerHarness::~ServerHarness() {
  if (running.server) running.server->Shutdown();
}

std::unique_ptr<v1::Causeway::Stub> ServerHarness::Client() const {
  return v1::Causeway::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

}  // namespace causeway::testing
