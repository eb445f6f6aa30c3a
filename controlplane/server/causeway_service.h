// The causeway.v1.Causeway gRPC service: a thin translation onto ControlPlane, with real status codes.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_CAUSEWAY_SERVICE_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_CAUSEWAY_SERVICE_H_

#include "causeway/v1/api.grpc.pb.h"
#include "controlplane/server/control_plane.h"

namespace causeway::server {

// The metadata key a streaming client names itself with, so that the server can tell it where to
// resume before it sends anything.
inline constexpr char kSourceMetadata[] = "causeway-source";

class CausewayService final : public v1::Causeway::Service {
 public:
  explicit CausewayService(ControlPlane* control_plane) : cp_(control_plane) {}

  grpc::Status Push(grpc::ServerContext* context, const v1::PushRequest* request, v1::PushResponse* response) override;
  grpc::Status Stream(grpc::ServerContext* context,
                      grpc::ServerReaderWriter<v1::StreamResponse, v1::StreamRequest>* stream) override;
  grpc::Status ListClusters(grpc::ServerContext* context, const v1::ListRequest* request,
                            v1::ListClustersResponse* response) override;
  grpc::Status ListServices(grpc::ServerContext* context, const v1::ListRequest* request,
                            v1::ListServicesResponse* response) override;
  grpc::Status ListEndpoints(grpc::ServerContext* context, const v1::ListEndpointsRequest* request,
                             v1::ListEndpointsResponse* response) override;
  grpc::Status GetService(grpc::ServerContext* context, const v1::GetServiceRequest* request,
                          v1::Service* response) override;
  grpc::Status GetState(grpc::ServerContext* context, const v1::GetStateRequest* request,
                        v1::State* response) override;
  grpc::Status Explain(grpc::ServerContext* context, const v1::ExplainRequest* request,
                       v1::ExplainResponse* response) override;
  grpc::Status GetStats(grpc::ServerContext* context, const v1::StatsRequest* request,
                        v1::StatsResponse* response) override;
  grpc::Status GetCosts(grpc::ServerContext* context, const v1::CostsRequest* request,
                        v1::CostsResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context, const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::WatchEvent>* writer) override;

 private:
  ControlPlane* const cp_;
};

// absl::Status → grpc::Status, code and message kept.
grpc::Status ToGrpc(const absl::Status& s);

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_CAUSEWAY_SERVICE_H_
