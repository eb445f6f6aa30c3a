// An adapter's connection to causewayd's Stream RPC: RESUME first (the last version_info causewayd
// accepted from this source, which survives restarts of both), then one update at a time, each
// answered by ACK or NACK.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_STREAM_FEED_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_STREAM_FEED_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "causeway/v1/api.grpc.pb.h"

namespace causeway::adapters {

class StreamFeed {
 public:
  // `source`: the adapter's name, sent as metadata causeway-source; causewayd remembers versions
  // per source.
  StreamFeed(std::shared_ptr<grpc::Channel> channel, std::string source);
  ~StreamFeed();

  // Opens a new stream (closing any previous one) and returns RESUME's version_info ("" when
  // causewayd never accepted anything from this source). Waits up to `timeout_seconds` for
  // causewayd.
  absl::StatusOr<std::string> Connect(double timeout_seconds);

  // The names of the clusters causewayd knows, whoever pushed them.
  absl::StatusOr<std::set<std::string>> ClusterNames(double timeout_seconds);

  struct Answer {
    bool accepted = false;
    uint64_t version = 0;
    std::vector<std::string> problems;  // "field: message", for a NACK
  };
  // The connection to causewayd, for watching its state.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // Sends one update and waits for its answer. An error means the stream broke: Connect again.
  absl::StatusOr<Answer> Send(const v1::Delta& delta, const std::string& version_info);

 private:
  void Close();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Causeway::Stub> stub_;
  std::string source_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>> stream_;
  uint64_t next_nonce_ = 1;
};

}  // namespace causeway::adapters

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_COMMON_STREAM_FEED_H_
