#include "controlplane/adapters/common/stream_feed.h"

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace causeway::adapters {
namespace {

std::chrono::system_clock::time_point In(double seconds) {
  return std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                std::chrono::duration<double>(seconds));
}

absl::Status Unavailable(absl::string_view what, const grpc::Status& s) {
  return absl::UnavailableError(
      absl::StrCat(what, ": ", s.error_message().empty() ? "stream closed" : s.error_message()));
}

}  // namespace

StreamFeed::StreamFeed(std::shared_ptr<grpc::Channel> channel, std::string source)
    : channel_(std::move(channel)), stub_(v1::Causeway::NewStub(channel_)), source_(std::move(source)) {}

StreamFeed::~StreamFeed() { Close(); }

void StreamFeed::Close() {
  if (stream_ == nullptr) return;
  context_->TryCancel();
  (void)stream_->Finish();
  stream_.reset();
  context_.reset();
}

absl::StatusOr<std::string> StreamFeed::Connect(double timeout_seconds) {
  Close();
  if (!channel_->WaitForConnected(In(timeout_seconds))) {
    return absl::UnavailableError("causewayd is not reachable");
  }
  context_ = std::make_unique<grpc::ClientContext>();
  context_->AddMetadata("causeway-source", source_);
  stream_ = stub_->Stream(context_.get());
  v1::StreamResponse resume;
  if (!stream_->Read(&resume)) {
    const grpc::Status s = stream_->Finish();
    stream_.reset();
    return Unavailable("causewayd closed the stream before RESUME", s);
  }
  if (resume.kind() != v1::StreamResponse::RESUME) {
    Close();
    return absl::InternalError("causewayd's first stream message was not RESUME");
  }
  return resume.version_info();
}

absl::StatusOr<std::set<std::string>> StreamFeed::ClusterNames(double timeout_seconds) {
  grpc::ClientContext context;
  context.set_deadline(In(timeout_seconds));
  v1::ListClustersResponse response;
  const grpc::Status s = stub_->ListClusters(&context, v1::ListRequest(), &response);
  if (!s.ok()) return Unavailable("ListClusters", s);
  std::set<std::string> names;
  for (const v1::ClusterStatus& c : response.clusters()) names.insert(c.cluster().name());
  return names;
}

absl::StatusOr<StreamFeed::Answer> StreamFeed::Send(const v1::Delta& delta, const std::string& version_info) {
  if (stream_ == nullptr) return absl::UnavailableError("not connected");
  v1::StreamRequest update;
  update.set_source(source_);
  update.set_version_info(version_info);
  const std::string nonce = absl::StrCat(next_nonce_++);
  update.set_nonce(nonce);
  *update.mutable_delta() = delta;
  v1::StreamResponse answer;
  if (!stream_->Write(update) || !stream_->Read(&answer)) {
    const grpc::Status s = stream_->Finish();
    stream_.reset();
    context_.reset();
    return Unavailable("causewayd stream", s);
  }
  if (answer.nonce() != nonce) {
    Close();
    return absl::InternalError(absl::StrCat("answer for nonce ", answer.nonce(), ", expected ", nonce));
  }
  Answer out;
  out.accepted = answer.kind() == v1::StreamResponse::ACK;
  out.version = answer.version();
  for (const v1::Problem& p : answer.problems()) {
    out.problems.push_back(p.field().empty() ? p.message() : absl::StrCat(p.field(), ": ", p.message()));
  }
  return out;
}

}  // namespace causeway::adapters
