// A minimal etcd v3 client over etcd's own gRPC API (proto/etcdpb): ranges over a key prefix, read in
// pages at one revision, and prefix watches. Put and delete are there for tests and tools.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_ETCD_ETCD_CLIENT_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_ETCD_ETCD_CLIENT_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "etcdpb/rpc.grpc.pb.h"

namespace causeway::etcd {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t mod_revision = 0;
};

struct RangeResult {
  // The store revision the range was read at.
  int64_t revision = 0;
  std::vector<KeyValue> kvs;
};

struct Event {
  bool deleted = false;
  KeyValue kv;  // for a delete: the key, and the revision of the deletion
};

// The end of the key range holding every key that starts with `prefix` (etcd's convention: the
// prefix with its last byte incremented, carrying over 0xff bytes).
std::string PrefixEnd(absl::string_view prefix);

// "http://127.0.0.1:2379" or "127.0.0.1:2379" → an insecure channel (etcd on loopback or inside the
// cluster network; TLS is not supported yet).
std::shared_ptr<grpc::Channel> Connect(absl::string_view endpoint);

class WatchStream;

class Client {
 public:
  explicit Client(std::shared_ptr<grpc::Channel> channel);

  // Every key with `prefix` at `revision` (0: the newest), read in pages of `page_size` keys at the
  // same revision so that no answer grows past gRPC's message limit. A compacted revision fails with
  // OUT_OF_RANGE (etcd's ErrCompacted).
  absl::StatusOr<RangeResult> RangePrefix(absl::string_view prefix, int64_t revision, double timeout_seconds,
                                          int64_t page_size = 500);

  // Both answer the store's revision after the change.
  absl::StatusOr<int64_t> Put(absl::string_view key, absl::string_view value, double timeout_seconds);
  absl::StatusOr<int64_t> Delete(absl::string_view key, double timeout_seconds);
  // Drops the history before `revision` (what etcd's auto-compaction does).
  absl::Status Compact(int64_t revision, double timeout_seconds);

  // Watches every key with `prefix` from `start_revision` (inclusive).
  std::unique_ptr<WatchStream> WatchPrefix(absl::string_view prefix, int64_t start_revision);

 private:
  std::unique_ptr<etcdserverpb::KV::Stub> kv_;
  std::unique_ptr<etcdserverpb::Watch::Stub> watch_;
};

// One watch on its own gRPC stream.
class WatchStream {
 public:
  WatchStream(etcdserverpb::Watch::Stub& stub, etcdserverpb::WatchCreateRequest create);
  ~WatchStream();

  // Blocks for the next events (at least one). Fails with OUT_OF_RANGE when the start revision was
  // compacted (read everything again), UNAVAILABLE when the stream broke (watch again from the last
  // revision seen).
  absl::StatusOr<std::vector<Event>> Next();

  // Makes a blocked Next() return (from another thread).
  void Cancel();

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<etcdserverpb::WatchRequest, etcdserverpb::WatchResponse>> stream_;
  bool broken_ = false;
};

}  // namespace causeway::etcd

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_ETCD_ETCD_CLIENT_H_
