// A restart loses no configuration: the last accepted state, version and per-source versions are
// written atomically (two slots in turn; a torn one falls back to the other) and read back, and a
// rejected push never reaches the disk.
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "controlplane/state/apply.h"
#include "controlplane/state/persist.h"
#include "tests/controlplane/fixtures.h"

namespace causeway::testing {
namespace {

v1::PushRequest Snapshot(const v1::State& s, const std::string& info) {
  v1::PushRequest p;
  p.set_source("adapter");
  p.set_version_info(info);
  *p.mutable_snapshot() = s;
  return p;
}

TEST(Persistence, RestartWithTheSavedState) {
  TempDir dir;
  v1::ListServicesResponse before;
  {
    RecordingSink sink;
    server::ControlPlane cp({.state_dir = dir.path()}, &sink);
    ASSERT_TRUE(cp.Restore().ok());
    ASSERT_TRUE(cp.Push(Snapshot(TwoClusterState(), "a1")).status.ok());
    v1::State bad = TwoClusterState();
    bad.mutable_endpoints(0)->set_port(0);
    ASSERT_FALSE(cp.Push(Snapshot(bad, "a2")).status.ok());
    before = cp.ListServices();
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/state-a.slot"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state-a.slot.tmp"));  // created whole, renamed

  RecordingSink sink;
  server::ControlPlane restarted({.state_dir = dir.path()}, &sink);
  ASSERT_TRUE(restarted.Restore().ok());
  EXPECT_EQ(restarted.version(), 1u);
  EXPECT_EQ(restarted.SourceVersion("adapter"), "a1");
  EXPECT_EQ(restarted.ListServices().DebugString(), before.DebugString());
  EXPECT_EQ(restarted.ListEndpoints("").endpoints_size(), 4);
  // The dataplane gets the restored tables at once, not at the next push.
  ASSERT_EQ(sink.count(), 1);
  EXPECT_EQ(sink.last()->version, 1u);
  EXPECT_EQ(sink.last()->services.size(), 1u);
  // And versions go on from there.
  v1::State s = TwoClusterState();
  s.mutable_endpoints(0)->set_weight(5);
  EXPECT_EQ(restarted.Push(Snapshot(s, "a3")).version, 2u);
}

TEST(Persistence, CorruptStateIsAnErrorNotAnEmptyStart) {
  TempDir dir;
  std::ofstream(dir.path() + "/state.pb") << "\xff\xff\xff not a protobuf";
  RecordingSink sink;
  server::ControlPlane cp({.state_dir = dir.path()}, &sink);
  const absl::Status s = cp.Restore();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("state.pb"));
}

v1::SavedState Saved(uint64_t version) {
  v1::SavedState s;
  s.set_version(version);
  *s.mutable_state() = TwoClusterState();
  return s;
}

// Whether the state in `dir` loads and is `version`.
::testing::AssertionResult LoadsVersion(const std::string& dir, uint64_t version) {
  absl::StatusOr<std::optional<v1::SavedState>> s = state::LoadState(dir);
  if (!s.ok()) return ::testing::AssertionFailure() << s.status();
  if (!s->has_value()) return ::testing::AssertionFailure() << "no state";
  if ((*s)->version() != version) return ::testing::AssertionFailure() << "version " << (*s)->version();
  return ::testing::AssertionSuccess();
}

TEST(Persistence, SlotsAlternateAndTheNewestWins) {
  TempDir dir;
  state::StateFiles files(dir.path());
  for (uint64_t v = 1; v <= 3; ++v) ASSERT_TRUE(files.Save(Saved(v)).ok());
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/state-b.slot"));
  EXPECT_TRUE(LoadsVersion(dir.path(), 3));
}

TEST(Persistence, TornSlotFallsBackToThePreviousState) {
  TempDir dir;
  {
    state::StateFiles files(dir.path());
    ASSERT_TRUE(files.Save(Saved(1)).ok());  // slot a
    ASSERT_TRUE(files.Save(Saved(2)).ok());  // slot b
  }
  // A crash half-way through writing version 2: part of its payload never reached the disk.
  std::fstream f(dir.path() + "/state-b.slot", std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(100);
  f.write("\0\0\0\0", 4);
  f.close();
  EXPECT_TRUE(LoadsVersion(dir.path(), 1));
}

TEST(Persistence, UnreadableSlotsAreAnError) {
  TempDir dir;
  std::ofstream(dir.path() + "/state-a.slot") << "\xff\xff\xff not a slot";
  RecordingSink sink;
  server::ControlPlane cp({.state_dir = dir.path()}, &sink);
  const absl::Status s = cp.Restore();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("state-a.slot"));
}

TEST(Persistence, AFirstSaveCutShortLeavesNoSlot) {
  TempDir dir;
  // A crash while the first record was written: only the temporary file exists, half written.
  std::ofstream(dir.path() + "/state-a.slot.tmp") << "CWSTATE1 half a record";
  {
    state::StateFiles files(dir.path());
    absl::StatusOr<std::optional<v1::SavedState>> s = files.Load();
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_FALSE(s->has_value());  // nothing was saved: an empty start, not an error
    ASSERT_TRUE(files.Save(Saved(1)).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state-a.slot.tmp"));
  EXPECT_TRUE(LoadsVersion(dir.path(), 1));
}

TEST(Persistence, UnreadableSlotFallsBackToTheLegacyFile) {
  TempDir dir;
  // Upgraded from state.pb, and the slot damaged before any other save: the legacy file still holds
  // the last state a client was told was saved.
  std::ofstream(dir.path() + "/state.pb", std::ios::binary) << Saved(7).SerializeAsString();
  std::ofstream(dir.path() + "/state-a.slot") << "\xff\xff\xff not a slot";
  EXPECT_TRUE(LoadsVersion(dir.path(), 7));
}

TEST(Persistence, AValidSlotWinsOverALeftoverLegacyFileWhichTheNextSaveRemoves) {
  TempDir dir;
  {
    state::StateFiles files(dir.path());
    ASSERT_TRUE(files.Save(Saved(9)).ok());
  }
  // A crash between the first slot save and the legacy file's removal left both.
  std::ofstream(dir.path() + "/state.pb", std::ios::binary) << Saved(7).SerializeAsString();
  state::StateFiles files(dir.path());
  absl::StatusOr<std::optional<v1::SavedState>> s = files.Load();
  ASSERT_TRUE(s.ok() && s->has_value()) << s.status();
  EXPECT_EQ((*s)->version(), 9u);
  ASSERT_TRUE(files.Save(Saved(10)).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state.pb"));
}

TEST(Persistence, LegacyStateFileIsReadThenReplaced) {
  TempDir dir;
  std::ofstream(dir.path() + "/state.pb", std::ios::binary) << Saved(7).SerializeAsString();
  RecordingSink sink;
  {
    server::ControlPlane cp({.state_dir = dir.path()}, &sink);
    ASSERT_TRUE(cp.Restore().ok());
    EXPECT_EQ(cp.version(), 7u);
    v1::State s = TwoClusterState();
    s.mutable_endpoints(0)->set_weight(5);
    EXPECT_EQ(cp.Push(Snapshot(s, "a8")).version, 8u);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state.pb"));
  server::ControlPlane restarted({.state_dir = dir.path()}, &sink);
  ASSERT_TRUE(restarted.Restore().ok());
  EXPECT_EQ(restarted.version(), 8u);
}

TEST(Persistence, SerializedFromTheModelAsFromItsState) {
  state::Candidate c = state::FromSnapshot(state::Model(), TwoClusterState());
  ASSERT_TRUE(c.problems.empty());
  v1::SavedState head = Saved(4);
  head.clear_state();
  (*head.mutable_source_versions())["adapter"] = "a4";
  v1::SavedState whole = head;
  *whole.mutable_state() = c.model.ToState();
  // Byte for byte here (no fencing entry: the state would come after it otherwise).
  EXPECT_EQ(state::SerializeSaved(head, c.model), whole.SerializeAsString());
}

TEST(Persistence, NoDirectoryNoSavedState) {
  TempDir dir;
  absl::StatusOr<std::optional<v1::SavedState>> s = state::LoadState(dir.path());
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->has_value());
}

}  // namespace
}  // namespace causeway::testing
