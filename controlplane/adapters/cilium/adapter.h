// The Cilium clustermesh feed: lists and watches Cilium's global services in etcd and keeps
// causewayd's copy of them current over the Stream RPC.
//
// Versions: each update's version_info is the etcd revision of the view it was built from. On every
// (re)connect causewayd's RESUME names the revision it last accepted from this source; the adapter
// reads etcd as it was at that revision (etcd keeps history until compaction) to know exactly what
// causewayd holds from it, and sends only the difference to the current view. So a restarted
// adapter, or a restarted causewayd, resumes without a full resend and without forgetting deletes
// made while it was away. When that revision was compacted, everything is upserted, and services
// deleted meanwhile stay in causewayd (logged).
//
// Size: a change goes in updates of at most a few MiB; only the last carries the new revision.
//
// Freshness: every renew_seconds, while its etcd answers, the adapter renews the leases of the
// clusters it feeds (a Push of a delta with only renew_clusters: not a change in causewayd), so a
// cluster with a lease_ttl_ms goes stale when the adapter or its etcd does.
//
// Refusals: a change is first sent whole; when causewayd refuses it, it is sent again one service at
// a time, so one bad service never holds back the others. A refused part is logged once and not
// retried until its content changes.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_ADAPTER_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_ADAPTER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "controlplane/adapters/cilium/cilium_mapping.h"
#include "controlplane/adapters/common/owned_state.h"
#include "controlplane/adapters/common/stream_feed.h"
#include "controlplane/adapters/etcd/etcd_client.h"

namespace causeway::cilium {

struct AdapterOptions {
  std::string etcd_endpoint;    // "127.0.0.1:2379"
  std::string causeway_target;  // gRPC target of causewayd
  std::string source = "cilium-etcd";
  std::string local_cluster;       // the gateway's own cluster: its copies give the VIPs
  std::set<std::string> clusters;  // read only these clusters' keys; empty: all
  double retry_seconds = 1;
  // Updates stay far below causewayd's message limit (64 MiB): a large first sync goes in several.
  size_t max_update_bytes = 4 << 20;
  // How often to renew the fed clusters' freshness leases; 0: never.
  double renew_seconds = 1;
};

class Adapter {
 public:
  explicit Adapter(AdapterOptions options);

  // Runs until the process ends: every failure (etcd or causewayd unreachable, a broken stream, a
  // compacted watch) is logged and retried.
  void Run();

 private:
  // Parses one key's value into the view; a malformed value is logged and the key keeps its last
  // good value (a bad writer does not take backends away).
  void Put(const std::string& key, const std::string& value);
  View ParseAll(const std::vector<etcd::KeyValue>& kvs, bool log) const;
  bool Wanted(const std::string& key) const;

  absl::Status ConnectFeed();
  absl::Status LoadView();
  // Pushes pushed_ → the view's mapping. An error means the stream broke.
  absl::Status Sync();
  absl::Status Push(const std::vector<adapters::DeltaPart>& parts, const adapters::OwnedState& desired,
                    const std::string& version);

  // Runs on its own thread while the main loop waits for etcd: when causewayd goes away,
  // wakes the loop (cancels the watch) so that a causewayd that restarted without its state gets it
  // back now, not at the next etcd change.
  void WatchConnection(std::stop_token stop);
  void SetWatch(std::unique_ptr<etcd::WatchStream> watch);
  // Runs on its own thread: renews renew_clusters_ while etcd_ok_.
  void RenewLeases(std::stop_token stop);

  AdapterOptions options_;
  etcd::Client etcd_;
  adapters::StreamFeed feed_;
  bool feed_connected_ = false;
  std::set<std::string> known_clusters_;  // what causewayd already has: never overwritten

  bool view_loaded_ = false;
  View view_;
  int64_t view_revision_ = 0;
  std::string last_notes_;
  bool announce_up_to_date_ = false;  // once per connection, for operators (and tests)

  std::string acked_version_;                   // the last version_info causewayd accepted from this adapter
  adapters::OwnedState pushed_;                 // what causewayd holds from this adapter
  std::map<std::string, std::string> refused_;  // part → its refused bytes

  std::atomic<bool> connection_lost_{false};
  absl::Mutex watch_mu_;
  std::unique_ptr<etcd::WatchStream> watch_ ABSL_GUARDED_BY(watch_mu_);
  // Leases: the clusters causewayd holds from this feed, and whether etcd answered last time.
  absl::Mutex renew_mu_;
  std::set<std::string> renew_clusters_ ABSL_GUARDED_BY(renew_mu_);
  std::atomic<bool> etcd_ok_{false};
  std::jthread renewer_;
  std::jthread connection_watcher_;  // last: stopped and joined before the rest goes
};

}  // namespace causeway::cilium

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_CILIUM_ADAPTER_H_
