// The xDS-style stream: RESUME first, ACK/NACK per update with its nonce, and after the connection
// is cut the adapter resumes from the last version it had acknowledged and sends only differences.
#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "controlplane/server/causeway_service.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

using ::testing::HasSubstr;

struct Adapter {
  explicit Adapter(const ServerHarness& h) : stub(h.Client()) {
    ctx.AddMetadata(server::kSourceMetadata, "mesh-adapter");
    stream = stub->Stream(&ctx);
  }
  v1::StreamResponse Send(v1::StreamRequest req) {
    req.set_source("mesh-adapter");
    EXPECT_TRUE(stream->Write(req));
    v1::StreamResponse r;
    EXPECT_TRUE(stream->Read(&r));
    return r;
  }
  std::unique_ptr<v1::Causeway::Stub> stub;
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>> stream;
};

TEST(Stream, AckNackAndResumeAfterReconnect) {
  TempDir state;
  ServerHarness h(state.path());
  {
    Adapter a(h);
    v1::StreamResponse resume;
    ASSERT_TRUE(a.stream->Read(&resume));
    EXPECT_EQ(resume.kind(), v1::StreamResponse::RESUME);
    EXPECT_EQ(resume.version_info(), "");  // never heard of this adapter

    v1::StreamRequest full;
    full.set_version_info("mesh-1");
    full.set_nonce("n1");
    *full.mutable_snapshot() = TwoClusterState();
    v1::StreamResponse ack = a.Send(full);
    EXPECT_EQ(ack.kind(), v1::StreamResponse::ACK);
    EXPECT_EQ(ack.nonce(), "n1");
    EXPECT_EQ(ack.version_info(), "mesh-1");
    EXPECT_EQ(ack.version(), 1u);

    v1::StreamRequest bad;
    bad.set_version_info("mesh-2");
    bad.set_nonce("n2");
    v1::Endpoint e = MakeEndpoint("cluster-a", "10.244.5.5", "us-east-1a");
    e.set_port(0);
    *bad.mutable_delta()->add_upsert_endpoints() = e;
    v1::StreamResponse nack = a.Send(bad);
    EXPECT_EQ(nack.kind(), v1::StreamResponse::NACK);
    EXPECT_EQ(nack.nonce(), "n2");
    EXPECT_EQ(nack.version_info(), "mesh-1");  // the last accepted, as xDS does
    ASSERT_EQ(nack.problems_size(), 1);
    EXPECT_EQ(nack.problems(0).field(), "delta.upsert_endpoints[0].port");
    EXPECT_THAT(nack.problems(0).message(), HasSubstr("port 0 is out of range"));
    EXPECT_EQ(h.control_plane->version(), 1u);
    // The connection is cut here (the stream and its context go away).
    a.ctx.TryCancel();
  }
  {
    Adapter again(h);
    v1::StreamResponse resume;
    ASSERT_TRUE(again.stream->Read(&resume));
    EXPECT_EQ(resume.kind(), v1::StreamResponse::RESUME);
    EXPECT_EQ(resume.version_info(), "mesh-1");
    // Only the difference since mesh-1 flows.
    v1::StreamRequest diff;
    diff.set_version_info("mesh-3");
    diff.set_nonce("n3");
    *diff.mutable_delta()->add_upsert_endpoints() = MakeEndpoint("cluster-b", "10.244.7.7", "us-east-1b");
    EXPECT_EQ(again.Send(diff).kind(), v1::StreamResponse::ACK);
    EXPECT_EQ(h.control_plane->ListEndpoints("").endpoints_size(), 5);
    again.ctx.TryCancel();
  }
}

// A renewal-only update (Delta.renew_clusters) is ACKed without a new version; one naming an
// unknown cluster is NACKed with its field path.
TEST(Stream, RenewalsAreAckedWithoutANewVersion) {
  ServerHarness h;
  Adapter a(h);
  v1::StreamResponse resume;
  ASSERT_TRUE(a.stream->Read(&resume));
  v1::StreamRequest update;
  update.set_version_info("rev-1");
  update.set_nonce("1");
  *update.mutable_snapshot() = TwoClusterState();
  update.mutable_snapshot()->mutable_clusters(1)->set_lease_ttl_ms(60000);
  const v1::StreamResponse first = a.Send(update);
  ASSERT_EQ(first.kind(), v1::StreamResponse::ACK);

  v1::StreamRequest renew;
  renew.set_version_info("rev-1");
  renew.set_nonce("2");
  renew.mutable_delta()->add_renew_clusters("cluster-b");
  const v1::StreamResponse ack = a.Send(renew);
  EXPECT_EQ(ack.kind(), v1::StreamResponse::ACK);
  EXPECT_EQ(ack.nonce(), "2");
  EXPECT_EQ(ack.version(), first.version());
  EXPECT_EQ(h.control_plane->version(), first.version());

  renew.set_nonce("3");
  renew.mutable_delta()->set_renew_clusters(0, "cluster-z");
  const v1::StreamResponse nack = a.Send(renew);
  EXPECT_EQ(nack.kind(), v1::StreamResponse::NACK);
  ASSERT_EQ(nack.problems_size(), 1);
  EXPECT_EQ(nack.problems(0).field(), "delta.renew_clusters[0]");
  EXPECT_EQ(nack.problems(0).message(), "unknown cluster \"cluster-z\"");
}

}  // namespace
}  // namespace causeway::testing
