// A push's request given up to FromSnapshot / FromDelta: its endpoint messages are moved into the
// model (not copied), and the model is the one a copy gives.
#include "controlplane/state/apply.h"

#include "gtest/gtest.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

TEST(Apply, SnapshotMovedInIsTheSnapshotCopiedIn) {
  const v1::State s = TwoClusterState();
  ASSERT_GT(s.endpoints_size(), 0);
  const state::Candidate copied = state::FromSnapshot(state::Model(), s);
  v1::State given = s;
  const state::Candidate moved = state::FromSnapshot(state::Model(), std::move(given));
  ASSERT_TRUE(copied.problems.empty());
  ASSERT_TRUE(moved.problems.empty());
  EXPECT_EQ(moved.model.ToState().SerializeAsString(), copied.model.ToState().SerializeAsString());
  EXPECT_EQ(moved.changes, copied.changes);
  EXPECT_EQ(moved.renewed, copied.renewed);
  // Moved, not copied: what the request held is now the model's.
  for (const v1::Endpoint& e : given.endpoints()) EXPECT_TRUE(e.address().empty()) << e.ShortDebugString();
}

TEST(Apply, DeltaMovedInIsTheDeltaCopiedIn) {
  const state::Candidate base = state::FromSnapshot(state::Model(), TwoClusterState());
  ASSERT_TRUE(base.problems.empty());
  v1::Delta d;
  v1::Endpoint* e = d.add_upsert_endpoints();
  *e = *base.model.services.begin()->second->endpoints.begin()->second;
  e->set_weight(7);
  const state::Candidate copied = state::FromDelta(base.model, d);
  v1::Delta given = d;
  const state::Candidate moved = state::FromDelta(base.model, std::move(given));
  ASSERT_TRUE(copied.problems.empty());
  ASSERT_TRUE(moved.problems.empty());
  EXPECT_EQ(moved.model.ToState().SerializeAsString(), copied.model.ToState().SerializeAsString());
  EXPECT_EQ(moved.changes, copied.changes);
  EXPECT_TRUE(given.upsert_endpoints(0).address().empty());
}

}  // namespace
}  // namespace causeway::testing
