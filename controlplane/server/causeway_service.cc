#include "controlplane/server/causeway_service.h"

#include <string>

#include "absl/time/time.h"

namespace causeway::server {

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

grpc::Status CausewayService::Push(grpc::ServerContext*, const v1::PushRequest* request, v1::PushResponse* response) {
  // The request is ours to take apart: gRPC's unary handler made it (not const) for this call and
  // only destroys it when we return — before it sends the answer. Moved into the model, its
  // endpoints' strings are taken rather than copied, and what it frees on the way to the answer is
  // empty shells.
  const PushOutcome out = cp_->Push(std::move(*const_cast<v1::PushRequest*>(request)));
  response->set_version(out.version);
  response->set_version_info(out.version_info);
  return ToGrpc(out.status);
}

grpc::Status CausewayService::Stream(grpc::ServerContext* context,
                                     grpc::ServerReaderWriter<v1::StreamResponse, v1::StreamRequest>* stream) {
  std::string source;
  if (auto it = context->client_metadata().find(kSourceMetadata); it != context->client_metadata().end()) {
    source.assign(it->second.data(), it->second.size());
  }
  v1::StreamResponse resume;
  resume.set_kind(v1::StreamResponse::RESUME);
  resume.set_version_info(cp_->SourceVersion(source));
  resume.set_version(cp_->version());
  if (!stream->Write(resume)) return grpc::Status::OK;

  v1::StreamRequest update;
  while (stream->Read(&update)) {
    v1::PushRequest push;
    push.set_source(update.source().empty() ? source : update.source());
    push.set_version_info(update.version_info());
    if (update.has_snapshot()) push.mutable_snapshot()->Swap(update.mutable_snapshot());
    if (update.has_delta()) push.mutable_delta()->Swap(update.mutable_delta());
    const PushOutcome out = cp_->Push(std::move(push));
    v1::StreamResponse answer;
    answer.set_nonce(update.nonce());
    answer.set_version(out.version);
    // xDS: an ACK carries the update's version_info, a NACK the last one accepted from its source
    // and why this one was not. Push answers exactly that (the last accepted read with the verdict,
    // not again afterwards under another lock).
    answer.set_version_info(out.version_info);
    if (out.status.ok()) {
      answer.set_kind(v1::StreamResponse::ACK);
    } else {
      answer.set_kind(v1::StreamResponse::NACK);
      for (const state::Problem& p : out.problems) {
        v1::Problem* problem = answer.add_problems();
        problem->set_field(p.field);
        problem->set_message(p.message);
      }
      if (out.problems.empty()) {
        v1::Problem* problem = answer.add_problems();
        problem->set_message(std::string(out.status.message()));
      }
    }
    if (!stream->Write(answer)) break;
  }
  return grpc::Status::OK;
}

grpc::Status CausewayService::ListClusters(grpc::ServerContext*, const v1::ListRequest*,
                                           v1::ListClustersResponse* response) {
  *response = cp_->ListClusters();
  return grpc::Status::OK;
}

grpc::Status CausewayService::ListServices(grpc::ServerContext*, const v1::ListRequest*,
                                           v1::ListServicesResponse* response) {
  *response = cp_->ListServices();
  return grpc::Status::OK;
}

grpc::Status CausewayService::ListEndpoints(grpc::ServerContext*, const v1::ListEndpointsRequest* request,
                                            v1::ListEndpointsResponse* response) {
  *response = cp_->ListEndpoints(request->service());
  return grpc::Status::OK;
}

grpc::Status CausewayService::GetService(grpc::ServerContext*, const v1::GetServiceRequest* request,
                                         v1::Service* response) {
  absl::StatusOr<v1::Service> s = cp_->GetService(request->service());
  if (!s.ok()) return ToGrpc(s.status());
  *response = *std::move(s);
  return grpc::Status::OK;
}

grpc::Status CausewayService::GetState(grpc::ServerContext*, const v1::GetStateRequest*, v1::State* response) {
  *response = cp_->GetState();
  return grpc::Status::OK;
}

grpc::Status CausewayService::Explain(grpc::ServerContext*, const v1::ExplainRequest* request,
                                      v1::ExplainResponse* response) {
  absl::StatusOr<v1::ExplainResponse> e = cp_->Explain(request->service(), request->zone());
  if (!e.ok()) return ToGrpc(e.status());
  *response = *std::move(e);
  return grpc::Status::OK;
}

grpc::Status CausewayService::GetStats(grpc::ServerContext*, const v1::StatsRequest*, v1::StatsResponse* response) {
  *response = cp_->Stats();
  return grpc::Status::OK;
}

grpc::Status CausewayService::GetCosts(grpc::ServerContext*, const v1::CostsRequest* request,
                                       v1::CostsResponse* response) {
  *response = cp_->Costs(request->top());
  return grpc::Status::OK;
}

grpc::Status CausewayService::Watch(grpc::ServerContext* context, const v1::WatchRequest*,
                                    grpc::ServerWriter<v1::WatchEvent>* writer) {
  std::shared_ptr<ControlPlane::Watcher> watcher = cp_->Watch();
  v1::WatchEvent event;
  // Wake up now and then to notice a client that went away.
  while (!context->IsCancelled()) {
    if (!watcher->Next(&event, absl::Milliseconds(200))) continue;
    if (!writer->Write(event)) break;
  }
  return grpc::Status::OK;
}

}  // namespace causeway::server
