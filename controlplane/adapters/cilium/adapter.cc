#include "controlplane/adapters/cilium/adapter.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/adapters/common/log.h"

namespace causeway::cilium {
namespace {

using adapters::Log;

constexpr double kCallTimeout = 10;

void Sleep(double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); }

// The value if it is well-formed and agrees with its key, else why not.
absl::StatusOr<CiliumService> ParseEntry(const std::string& key, const std::string& value) {
  absl::StatusOr<ServiceKey> k = ParseKey(key);
  if (!k.ok()) return k.status();
  absl::StatusOr<CiliumService> svc = ParseValue(value);
  if (!svc.ok()) return svc.status();
  if (svc->cluster != k->cluster || svc->namespace_ != k->namespace_ || svc->name != k->name) {
    return absl::InvalidArgumentError(absl::StrCat("the value names ", svc->cluster, "/", svc->namespace_,
                                                   "/", svc->name, ", not its key"));
  }
  return svc;
}

std::shared_ptr<grpc::Channel> CausewayChannel(const std::string& target) {
  grpc::ChannelArguments args;
  // causewayd restarting should be noticed within seconds, not gRPC's default two minutes.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

Adapter::Adapter(AdapterOptions options)
    : options_(std::move(options)),
      etcd_(etcd::Connect(options_.etcd_endpoint)),
      feed_(CausewayChannel(options_.causeway_target), options_.source) {}

bool Adapter::Wanted(const std::string& key) const {
  if (options_.clusters.empty()) return true;
  absl::StatusOr<ServiceKey> k = ParseKey(key);
  return !k.ok() || options_.clusters.contains(k->cluster);  // a bad key is logged when parsed
}

View Adapter::ParseAll(const std::vector<etcd::KeyValue>& kvs, bool log) const {
  View view;
  for (const etcd::KeyValue& kv : kvs) {
    if (!Wanted(kv.key)) continue;
    absl::StatusOr<CiliumService> svc = ParseEntry(kv.key, kv.value);
    if (svc.ok()) {
      view[kv.key] = *std::move(svc);
    } else if (log) {
      Log(absl::StrCat("skipped malformed value of ", kv.key, " (revision ", kv.mod_revision,
                       "): ", svc.status().message()));
    }
  }
  return view;
}

void Adapter::Put(const std::string& key, const std::string& value) {
  absl::StatusOr<CiliumService> svc = ParseEntry(key, value);
  if (!svc.ok()) {
    Log(absl::StrCat("skipped malformed value of ", key, ": ", svc.status().message(),
                     view_.contains(key) ? " (keeping its last good value)" : ""));
    return;
  }
  view_[key] = *std::move(svc);
}

absl::Status Adapter::ConnectFeed() {
  absl::StatusOr<std::string> resume = feed_.Connect(kCallTimeout);
  if (!resume.ok()) return resume.status();
  absl::StatusOr<std::set<std::string>> clusters = feed_.ClusterNames(kCallTimeout);
  if (!clusters.ok()) return clusters.status();
  known_clusters_ = *std::move(clusters);
  // What causewayd holds from this source: the mapping of etcd as it was at the revision it last
  // accepted.
  int64_t revision = 0;
  pushed_ = {};
  refused_.clear();
  acked_version_ = *resume;
  if (!resume->empty() && !absl::SimpleAtoi(*resume, &revision)) {
    Log(absl::StrCat("causewayd's last version from ", options_.source, " is \"", *resume,
                     "\", not an etcd revision: upserting everything"));
  } else if (revision > 0) {
    absl::StatusOr<etcd::RangeResult> then = etcd_.RangePrefix(kServicesPrefix, revision, kCallTimeout);
    if (then.ok()) {
      pushed_ = adapters::OwnedState::From(MapView(ParseAll(then->kvs, false), options_.local_cluster).state);
    } else if (then.status().code() == absl::StatusCode::kOutOfRange) {
      // Compacted, or a future revision (etcd was replaced by one with a shorter history).
      Log(absl::StrCat("etcd revision ", revision, " is gone (", then.status().message(),
                       "): upserting everything; services deleted since then stay in causewayd"));
    } else {
      return then.status();
    }
  }
  announce_up_to_date_ = true;
  Log(absl::StrCat("connected to causewayd: resuming from etcd revision ", revision, " (",
                   pushed_.services.size(), " services, ", known_clusters_.size(), " clusters known)"));
  return absl::OkStatus();
}

absl::Status Adapter::LoadView() {
  absl::StatusOr<etcd::RangeResult> now = etcd_.RangePrefix(kServicesPrefix, 0, kCallTimeout);
  if (!now.ok()) return now.status();
  view_ = ParseAll(now->kvs, true);
  view_revision_ = now->revision;
  Log(absl::StrCat("read ", view_.size(), " values from etcd at revision ", view_revision_));
  return absl::OkStatus();
}

absl::Status Adapter::Sync() {
  Mapped mapped = MapView(view_, options_.local_cluster);
  if (std::string notes = absl::StrJoin(mapped.notes, "\n"); notes != last_notes_) {
    for (const std::string& n : mapped.notes) Log(n);
    last_notes_ = std::move(notes);
  }
  const adapters::OwnedState desired = adapters::OwnedState::From(mapped.state);
  // Clusters causewayd already has stay as they are (an operator may have set their region or
  // gateway address).
  for (const auto& [name, c] : desired.clusters) {
    if (known_clusters_.contains(name) && !pushed_.clusters.contains(name)) pushed_.clusters[name] = c;
  }
  std::vector<adapters::DeltaPart> parts = adapters::Diff(pushed_, desired);
  std::erase_if(parts, [&](const adapters::DeltaPart& p) {
    auto it = refused_.find(p.service_key);
    return it != refused_.end() && it->second == p.delta.SerializeAsString();
  });
  if (parts.empty()) {
    if (announce_up_to_date_) Log(absl::StrCat("causewayd is up to date at etcd revision ", view_revision_));
    announce_up_to_date_ = false;
    return absl::OkStatus();
  }
  announce_up_to_date_ = false;
  return Push(parts, desired, absl::StrCat(view_revision_));
}

absl::Status Adapter::Push(const std::vector<adapters::DeltaPart>& parts, const adapters::OwnedState& desired,
                           const std::string& version) {
  const std::vector<std::vector<adapters::DeltaPart>> batches =
      adapters::Batch(parts, options_.max_update_bytes);
  size_t accepted = 0;
  bool complete = false;
  const auto take = [&](const adapters::DeltaPart& p) {
    p.service_key.empty() ? pushed_.TakeClusters(desired) : pushed_.TakeService(p.service_key, desired);
    refused_.erase(p.service_key);
    ++accepted;
  };
  for (size_t b = 0; b < batches.size(); ++b) {
    // Only the update that completes the change carries its revision: if the adapter stops half way,
    // causewayd's RESUME names a revision whose whole view it has, and the rest is sent again.
    const bool last_batch = b + 1 == batches.size();
    absl::StatusOr<adapters::StreamFeed::Answer> whole =
        feed_.Send(adapters::Merge(batches[b]), last_batch ? version : acked_version_);
    if (!whole.ok()) return whole.status();
    if (whole->accepted) {
      for (const adapters::DeltaPart& p : batches[b]) take(p);
      complete = last_batch;
      continue;
    }
    // One part at a time, clusters first, so that the good ones get through.
    for (size_t i = 0; i < batches[b].size(); ++i) {
      const adapters::DeltaPart& p = batches[b][i];
      const bool last = last_batch && i + 1 == batches[b].size();
      absl::StatusOr<adapters::StreamFeed::Answer> a = feed_.Send(p.delta, last ? version : acked_version_);
      if (!a.ok()) return a.status();
      if (a->accepted) {
        take(p);
        complete = last;
        continue;
      }
      refused_[p.service_key] = p.delta.SerializeAsString();
      Log(absl::StrCat("causewayd refused ", p.service_key.empty() ? "the clusters" : p.service_key, ": ",
                       absl::StrJoin(a->problems, "; ")));
    }
  }
  if (complete) acked_version_ = version;
  Log(absl::StrCat("pushed etcd revision ", version, ": ", accepted, " of ", parts.size(),
                   " changes accepted in ", batches.size(), " batches"));
  return absl::OkStatus();
}

void Adapter::SetWatch(std::unique_ptr<etcd::WatchStream> watch) {
  std::unique_ptr<etcd::WatchStream> old;
  {
    absl::MutexLock lock(&watch_mu_);
    old = std::exchange(watch_, std::move(watch));
  }
  // Destroyed outside the lock: ending a stream waits for gRPC.
}

void Adapter::WatchConnection(std::stop_token stop) {
  // causewayd's Watch stream ends the moment causewayd goes away; gRPC's channel state is no help here
  // (it reads IDLE while streams are open).
  std::unique_ptr<v1::Causeway::Stub> stub = v1::Causeway::NewStub(feed_.channel());
  while (!stop.stop_requested()) {
    grpc::ClientContext context;
    std::stop_callback cancel(stop, [&context] { context.TryCancel(); });
    std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub->Watch(&context, v1::WatchRequest());
    v1::WatchEvent event;
    bool connected = false;
    while (reader->Read(&event)) connected = true;
    (void)reader->Finish();
    if (stop.stop_requested()) break;
    if (connected) {
      connection_lost_ = true;
      absl::MutexLock lock(&watch_mu_);
      if (watch_ != nullptr) watch_->Cancel();
    }
    Sleep(0.2);  // while causewayd is away its Watch fails at once
  }
}

void Adapter::RenewLeases(std::stop_token stop) {
  std::unique_ptr<v1::Causeway::Stub> stub = v1::Causeway::NewStub(feed_.channel());
  std::mutex m;
  std::condition_variable_any wake;
  bool failing = false;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(m);
      wake.wait_for(lock, stop, std::chrono::duration<double>(options_.renew_seconds), [] { return false; });
    }
    if (stop.stop_requested()) break;
    v1::PushRequest request;
    request.set_source(options_.source);
    {
      absl::MutexLock lock(&renew_mu_);
      for (const std::string& c : renew_clusters_) request.mutable_delta()->add_renew_clusters(c);
    }
    if (!etcd_ok_ || !request.has_delta()) continue;  // a feed that cannot read etcd must go stale
    auto push = [&](const v1::PushRequest& r) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::PushResponse response;
      return stub->Push(&context, r, &response);
    };
    grpc::Status status = push(request);
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
      // A cluster causewayd no longer has (an operator deleted it): renew the others one by one.
      v1::PushRequest one = request;
      for (const std::string& c : request.delta().renew_clusters()) {
        one.mutable_delta()->clear_renew_clusters();
        one.mutable_delta()->add_renew_clusters(c);
        if (grpc::Status s = push(one); s.error_code() != grpc::StatusCode::INVALID_ARGUMENT) status = s;
      }
    }
    if (!status.ok() && !failing) Log(absl::StrCat("renewing the clusters' leases: ", status.error_message()));
    if (status.ok() && failing) Log("renewing the clusters' leases again");
    failing = !status.ok();
  }
}

void Adapter::Run() {
  connection_watcher_ = std::jthread([this](std::stop_token stop) { WatchConnection(stop); });
  if (options_.renew_seconds > 0) renewer_ = std::jthread([this](std::stop_token stop) { RenewLeases(stop); });
  for (;;) {
    if (connection_lost_.exchange(false) && feed_connected_) {
      Log("lost the connection to causewayd; reconnecting");
      feed_connected_ = false;
    }
    if (!feed_connected_) {
      if (absl::Status s = ConnectFeed(); !s.ok()) {
        Log(absl::StrCat("causewayd: ", s.message(), "; retrying"));
        Sleep(options_.retry_seconds);
        continue;
      }
      feed_connected_ = true;
    }
    if (!view_loaded_) {
      SetWatch(nullptr);
      if (absl::Status s = LoadView(); !s.ok()) {
        etcd_ok_ = false;
        Log(absl::StrCat(s.message(), "; retrying"));
        Sleep(options_.retry_seconds);
        continue;
      }
      view_loaded_ = true;
    }
    if (absl::Status s = Sync(); !s.ok()) {
      Log(absl::StrCat("causewayd: ", s.message(), "; reconnecting"));
      feed_connected_ = false;
      continue;
    }
    {
      absl::MutexLock lock(&renew_mu_);
      renew_clusters_.clear();
      for (const auto& [name, c] : pushed_.clusters) renew_clusters_.insert(name);
    }
    etcd_ok_ = true;
    etcd::WatchStream* watch = nullptr;
    {
      absl::MutexLock lock(&watch_mu_);
      if (watch_ == nullptr) watch_ = etcd_.WatchPrefix(kServicesPrefix, view_revision_ + 1);
      watch = watch_.get();  // only this thread replaces it
    }
    absl::StatusOr<std::vector<etcd::Event>> events = watch->Next();
    if (!events.ok()) {
      etcd_ok_ = false;
      SetWatch(nullptr);
      if (connection_lost_) continue;  // the watch was cancelled to reconnect to causewayd
      const bool compacted = events.status().code() == absl::StatusCode::kOutOfRange;
      Log(absl::StrCat(events.status().message(), "; ",
                       compacted ? "reading everything again" : "watching again"));
      if (compacted) view_loaded_ = false;
      Sleep(options_.retry_seconds);
      continue;
    }
    for (const etcd::Event& e : *events) {
      view_revision_ = std::max(view_revision_, e.kv.mod_revision);
      if (!Wanted(e.kv.key)) continue;
      if (e.deleted) {
        view_.erase(e.kv.key);
      } else {
        Put(e.kv.key, e.kv.value);
      }
    }
  }
}

}  // namespace causeway::cilium
