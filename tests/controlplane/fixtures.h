// Shared pieces of the control-plane tests: a sink that records snapshots, a two-cluster state, and
// a real gRPC server on a unix socket with a client stub.
#ifndef CAUSEWAY_TESTS_CONTROLPLANE_FIXTURES_H_
#define CAUSEWAY_TESTS_CONTROLPLANE_FIXTURES_H_

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "causeway/v1/api.grpc.pb.h"
#include "controlplane/server/grpc_server.h"
#include "controlplane/snapshot/dataplane_stats.h"

namespace causeway::testing {

class RecordingSink final : public snapshot::SnapshotSink {
 public:
  void Publish(std::shared_ptr<const snapshot::CompiledSnapshot> s) override {
    absl::MutexLock lock(&mu_);
    last_ = std::move(s);
    ++count_;
  }
  std::shared_ptr<const snapshot::CompiledSnapshot> last() const {
    absl::MutexLock lock(&mu_);
    return last_;
  }
  int count() const {
    absl::MutexLock lock(&mu_);
    return count_;
  }

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const snapshot::CompiledSnapshot> last_;
  int count_ = 0;
};

// A clock that moves only when told (for leases and for what the dataplane's counters cover).
class TestClock final : public partition::Clock {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
};

// A dataplane's counters with known numbers. Set the fields before the control plane reads them.
class FakeDataplaneStats final : public snapshot::DataplaneStats {
 public:
  std::vector<std::pair<std::string, uint64_t>> Counters() const override { return counters; }
  void Traffic(std::map<uint32_t, Count>& s, std::map<uint32_t, Count>& b) const override {
    s = services;
    b = backends;
  }
  std::vector<ZonePair> ZonePairs() const override { return zone_pairs; }

  std::vector<std::pair<std::string, uint64_t>> counters;
  std::map<uint32_t, Count> services;
  std::map<uint32_t, Count> backends;
  std::vector<ZonePair> zone_pairs;
};

// Cluster a (this gateway's, zones us-east-1a/b) and cluster b (reached through its gateway
// 192.0.2.2), both with pods in 10.244.0.0/16; service default/rebel-base on 10.96.0.10:80/TCP with
// two endpoints in each cluster, the same addresses in both.
v1::State TwoClusterState();
v1::Endpoint MakeEndpoint(const std::string& cluster, const std::string& address, const std::string& zone);

// A push of the whole state `s`, from source "test".
v1::PushRequest SnapshotPush(const v1::State& s);

// A fresh temporary directory, removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ServerHarness {
  explicit ServerHarness(const std::string& state_dir = "", server::ServerOptions options = {});
  ~ServerHarness();
  std::unique_ptr<v1::Causeway::Stub> Client() const;

  TempDir socket_dir;
  RecordingSink sink;
  std::unique_ptr<server::ControlPlane> control_plane;
  server::RunningServer running;
  std::string address;
};

}  // namespace causeway::testing

#endif  // CAUSEWAY_TESTS_CONTROLPLANE_FIXTURES_H_
