#include "controlplane/adapters/etcd/etcd_client.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace causeway::etcd {
namespace {

std::chrono::system_clock::time_point In(double seconds) {
  return std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                std::chrono::duration<double>(seconds));
}

absl::Status ToAbsl(const grpc::Status& s, absl::string_view what) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat("etcd ", what, ": ", s.error_message()));
}

KeyValue FromProto(const mvccpb::KeyValue& kv) { return {kv.key(), kv.value(), kv.mod_revision()}; }

}  // namespace

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // an empty (or all-0xff) prefix: every key
}

std::shared_ptr<grpc::Channel> Connect(absl::string_view endpoint) {
  absl::ConsumePrefix(&endpoint, "http://");
  grpc::ChannelArguments args;
  // A page of 500 Cilium services is far below this; the limit only guards against a runaway value.
  args.SetMaxReceiveMessageSize(64 << 20);
  // gRPC's default reconnect back-off grows to two minutes; etcd coming back should be noticed soon.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return grpc::CreateCustomChannel(std::string(endpoint), grpc::InsecureChannelCredentials(), args);
}

Client::Client(std::shared_ptr<grpc::Channel> channel)
    : kv_(etcdserverpb::KV::NewStub(channel)), watch_(etcdserverpb::Watch::NewStub(channel)) {}

absl::StatusOr<RangeResult> Client::RangePrefix(absl::string_view prefix, int64_t revision,
                                                double timeout_seconds, int64_t page_size) {
  RangeResult out;
  etcdserverpb::RangeRequest request;
  request.set_key(std::string(prefix));
  request.set_range_end(PrefixEnd(prefix));
  request.set_limit(page_size);
  request.set_revision(revision);
  for (;;) {
    grpc::ClientContext context;
    context.set_deadline(In(timeout_seconds));
    etcdserverpb::RangeResponse response;
    const grpc::Status s = kv_->Range(&context, request, &response);
    if (!s.ok()) return ToAbsl(s, "range");
    // Later pages are read at the first page's revision: one consistent view.
    if (out.revision == 0) {
      out.revision = response.header().revision();
      request.set_revision(revision > 0 ? revision : out.revision);
    }
    for (const mvccpb::KeyValue& kv : response.kvs()) out.kvs.push_back(FromProto(kv));
    if (!response.more() || response.kvs().empty()) break;
    // The next page starts right after the last key read.
    request.set_key(response.kvs(response.kvs_size() - 1).key() + std::string(1, '\0'));
  }
  // A historical read answers the newest revision in its header; the view is the one asked for.
  if (revision > 0) out.revision = revision;
  return out;
}

absl::StatusOr<int64_t> Client::Put(absl::string_view key, absl::string_view value, double timeout_seconds) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout_seconds));
  etcdserverpb::PutRequest request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  etcdserverpb::PutResponse response;
  const grpc::Status s = kv_->Put(&context, request, &response);
  if (!s.ok()) return ToAbsl(s, "put");
  return response.header().revision();
}

absl::StatusOr<int64_t> Client::Delete(absl::string_view key, double timeout_seconds) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout_seconds));
  etcdserverpb::DeleteRangeRequest request;
  request.set_key(std::string(key));
  etcdserverpb::DeleteRangeResponse response;
  const grpc::Status s = kv_->DeleteRange(&context, request, &response);
  if (!s.ok()) return ToAbsl(s, "delete");
  return response.header().revision();
}

absl::Status Client::Compact(int64_t revision, double timeout_seconds) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout_seconds));
  etcdserverpb::CompactionRequest request;
  request.set_revision(revision);
  etcdserverpb::CompactionResponse response;
  const grpc::Status s = kv_->Compact(&context, request, &response);
  return s.ok() ? absl::OkStatus() : ToAbsl(s, "compact");
}

std::unique_ptr<WatchStream> Client::WatchPrefix(absl::string_view prefix, int64_t start_revision) {
  etcdserverpb::WatchCreateRequest create;
  create.set_key(std::string(prefix));
  create.set_range_end(PrefixEnd(prefix));
  create.set_start_revision(start_revision);
  return std::make_unique<WatchStream>(*watch_, std::move(create));
}

WatchStream::WatchStream(etcdserverpb::Watch::Stub& stub, etcdserverpb::WatchCreateRequest create) {
  stream_ = stub.Watch(&context_);
  etcdserverpb::WatchRequest request;
  *request.mutable_create_request() = std::move(create);
  broken_ = !stream_->Write(request);
}

WatchStream::~WatchStream() {
  context_.TryCancel();
  (void)stream_->Finish();
}

void WatchStream::Cancel() { context_.TryCancel(); }

absl::StatusOr<std::vector<Event>> WatchStream::Next() {
  etcdserverpb::WatchResponse response;
  while (!broken_ && stream_->Read(&response)) {
    if (response.compact_revision() > 0) {
      broken_ = true;
      return absl::OutOfRangeError(
          absl::StrCat("etcd watch: revisions before ", response.compact_revision(), " were compacted"));
    }
    if (response.canceled()) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("etcd watch canceled: ", response.cancel_reason()));
    }
    if (response.events().empty()) continue;  // created, or progress
    std::vector<Event> events;
    events.reserve(response.events_size());
    for (const mvccpb::Event& e : response.events()) {
      events.push_back({e.type() == mvccpb::Event::DELETE, FromProto(e.kv())});
    }
    return events;
  }
  broken_ = true;
  return absl::UnavailableError("etcd watch stream closed");
}

}  // namespace causeway::etcd
