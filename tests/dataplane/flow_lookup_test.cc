// The flow and NAT tables' lookups read each key's primary bucket themselves (HashBuckets, from
// rte_hash's private layout) and ask rte_hash for the rest. These tests hold them to rte_hash's own
// answers for keys in either bucket, absent keys, keys whose short signature is 0 (as an empty
// slot's reads) and bursts mixing all of those, with the fast path and without it, and check that
// the layout is recognised on this DPDK — or the fast path would be quietly lost.
#include <gtest/gtest.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "dataplane/flow_table.h"
#include "dataplane/hash_buckets.h"
#include "dataplane/nat_table.h"

namespace causeway::dataplane {
namespace {

FlowKey KeyOf(uint64_t i) {
  FlowKey k;
  k.words[0] = 0x0a090000u + i;
  k.words[4] = (4ull << 56) | (i * 2654435761u & 0xffffffffu);
  return k;
}

std::unique_ptr<FlowTable> MakeTable(uint32_t capacity, bool primary_bucket_lookup = true) {
  FlowTableConfig c;
  c.capacity = capacity;
  c.primary_bucket_lookup = primary_bucket_lookup;
  auto t = FlowTable::Create(c);
  EXPECT_TRUE(t.ok()) << t.status();
  return std::move(*t);
}

// Keys 0..n-1 with their signatures and the answer a lookup must give for each.
struct KeySet {
  std::vector<FlowKey> keys;
  std::vector<uint32_t> sigs;
  std::vector<int32_t> expected;
  void Reverse() {
    std::reverse(keys.begin(), keys.end());
    std::reverse(sigs.begin(), sigs.end());
    std::reverse(expected.begin(), expected.end());
  }
};

// KeyOf(0..n-1) with signature(i), each added with `add` (which answers its position or index, or
// negative when it could not) unless `absent(i)`, whose expected answer is then `absent_answer`.
KeySet MakeKeys(uint32_t n, const std::function<uint32_t(uint32_t)>& signature,
                const std::function<int32_t(const FlowKey&, uint32_t)>& add,
                const std::function<bool(uint32_t)>& absent = [](uint32_t) { return false; },
                int32_t absent_answer = -ENOENT) {
  KeySet set;
  for (uint32_t i = 0; i < n; ++i) {
    set.keys.push_back(KeyOf(i));
    set.sigs.push_back(signature(i));
    set.expected.push_back(absent(i) ? absent_answer : add(set.keys.back(), set.sigs.back()));
    EXPECT_TRUE(absent(i) || set.expected.back() >= 0) << "key " << i << " not added";
  }
  return set;
}

// Looks `keys` up with `signatures` through the table (flow or NAT), 32 at a time.
template <typename Table>
std::vector<int32_t> Lookup(Table& t, const std::vector<FlowKey>& keys, std::vector<uint32_t> signatures) {
  std::vector<int32_t> positions(keys.size());
  for (size_t start = 0; start < keys.size(); start += 32) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(32, keys.size() - start));
    const FlowKey* ptrs[32];
    for (uint32_t i = 0; i < n; ++i) ptrs[i] = &keys[start + i];
    t.LookupBulk(ptrs, &signatures[start], n, &positions[start]);
  }
  return positions;
}

// Signature i of a set that all share one primary bucket (low bits 0x2a) with distinct short
// signatures: after eight, rte_hash puts them in their alternative buckets.
uint32_t OneBucketSignature(uint32_t i) { return ((0x100u + i * 37) << 16) | 0x2au; }

// Every third key of a mixed burst is never added.
bool EveryThird(uint32_t i) { return i % 3 == 1; }

TEST(FlowLookupTest, TheLayoutChecksOutOnThisDpdk) {
  EXPECT_TRUE(MakeTable(4096)->fast_lookup());
}

// Twenty keys with one primary bucket (same low bits, different short signatures): at most eight fit
// there, the others go to their alternative buckets. Every one is found at the position its insert
// returned, wherever it went; the same keys with another short signature, and keys never added, are
// not found.
TEST(FlowLookupTest, KeysInEitherBucketAreFoundAndAbsentOnesAreNot) {
  auto t = MakeTable(4096);
  ASSERT_TRUE(t->fast_lookup());
  auto insert = [&t](const FlowKey& k, uint32_t sig) { return t->Insert(k, sig); };
  const KeySet set = MakeKeys(20, OneBucketSignature, insert);
  EXPECT_EQ(Lookup(*t, set.keys, set.sigs), set.expected);
  // Eight were found in the primary bucket; rte_hash was asked only for the other twelve.
  EXPECT_EQ(t->slow_lookups(), 12u);

  std::vector<uint32_t> other_short = set.sigs;
  for (uint32_t& s : other_short) s ^= 0x80000000u;  // same bucket, another short signature
  std::vector<FlowKey> absent;
  for (uint32_t i = 0; i < 20; ++i) absent.push_back(KeyOf(1000 + i));
  EXPECT_EQ(Lookup(*t, set.keys, other_short), std::vector<int32_t>(20, -ENOENT));
  EXPECT_EQ(Lookup(*t, absent, set.sigs), std::vector<int32_t>(20, -ENOENT));
}

// One burst mixing keys in their primary bucket, keys in their alternative one and absent keys,
// a miss after a hit and a hit after a miss: every answer lands at its own index, with the fast path
// and without it (rte_hash's lookup alone, the path taken when the layout is not recognised).
TEST(FlowLookupTest, AMixedBurstAnswersEachKeyInItsPlace) {
  for (const bool fast : {true, false}) {
    auto t = MakeTable(4096, fast);
    ASSERT_EQ(t->fast_lookup(), fast);
    // Of the added keys, those after the eighth are in their alternative buckets.
    auto insert = [&t](const FlowKey& k, uint32_t sig) { return t->Insert(k, sig); };
    KeySet set = MakeKeys(32, OneBucketSignature, insert, EveryThird);
    // In reverse too, so that the keys in alternative buckets come first.
    EXPECT_EQ(Lookup(*t, set.keys, set.sigs), set.expected) << "fast " << fast;
    set.Reverse();
    EXPECT_EQ(Lookup(*t, set.keys, set.sigs), set.expected) << "fast " << fast;
    EXPECT_EQ(t->slow_lookups(), fast ? 2 * (32 - 8) : 2 * 32u) << "fast " << fast;
  }
}

// The NAT table the same way: its answers are the sessions' indexes, which rte_hash keeps as the
// keys' data (read from beside the key on the fast path).
TEST(FlowLookupTest, NatTableAnswersAMixedBurstWithItsSessionIndexes) {
  for (const bool fast : {true, false}) {
    NatTableConfig c;
    c.plan = NatPortPlan::For(1);
    c.addresses = 1;
    c.primary_bucket_lookup = fast;
    auto made = NatTable::Create(c);
    ASSERT_TRUE(made.ok()) << made.status();
    NatTable& nat = **made;
    ASSERT_EQ(nat.fast_lookup(), fast);
    // Sessions are handed out first in, first out: burn a few so that an index is not a position.
    for (uint32_t i = 0; i < 5; ++i) nat.Release(nat.Allocate(KeyOf(100 + i), OneBucketSignature(100 + i) ^ 1u, 1));
    auto allocate = [&nat](const FlowKey& k, uint32_t sig) { return nat.Allocate(k, sig, 1); };
    KeySet set = MakeKeys(32, OneBucketSignature, allocate, EveryThird, /*absent_answer=*/-1);
    for (int pass = 0; pass < 2; ++pass) {
      EXPECT_EQ(Lookup(nat, set.keys, set.sigs), set.expected) << "fast " << fast << " pass " << pass;
      set.Reverse();
    }
  }
}

// Short signature 0 is what empty slots read: a key with it is found all the same, from the primary
// bucket, and an absent one is not.
TEST(FlowLookupTest, ShortSignatureZeroIsNotAnEmptySlot) {
  auto t = MakeTable(4096);
  const std::vector<FlowKey> present = {KeyOf(1)}, absent = {KeyOf(2)};
  const std::vector<uint32_t> sig = {0x0000beefu};
  EXPECT_EQ(Lookup(*t, absent, sig), std::vector<int32_t>{-ENOENT});
  const int32_t pos = t->Insert(present[0], sig[0]);
  ASSERT_GE(pos, 0);
  const uint64_t slow = t->slow_lookups();
  EXPECT_EQ(Lookup(*t, present, sig), std::vector<int32_t>{pos});
  EXPECT_EQ(t->slow_lookups(), slow);
  EXPECT_EQ(Lookup(*t, absent, sig), std::vector<int32_t>{-ENOENT});
}

// What the fast path is for: in a table half full (the benchmarks' load), nearly every present key
// is found in its primary bucket, without rte_hash's lookup.
TEST(FlowLookupTest, AtHalfLoadPresentKeysAreFoundInTheirPrimaryBucket) {
  auto t = MakeTable(65536);
  auto signature = [&t](uint32_t i) { return t->Signature(KeyOf(i)); };
  auto insert = [&t](const FlowKey& k, uint32_t sig) { return t->Insert(k, sig); };
  const KeySet set = MakeKeys(32768, signature, insert);
  EXPECT_EQ(Lookup(*t, set.keys, set.sigs), set.expected);
  // ~0.9% here (a key goes to its alternative bucket only when its primary one is full); rte_hash
  // on its own would read both buckets of all of them.
  EXPECT_LT(t->slow_lookups(), set.keys.size() / 50) << "of " << set.keys.size();
}

// Many keys, inserted and some deleted again by the sweep, in full bursts: the answers are
// rte_hash's own for every key.
TEST(FlowLookupTest, AgreesWithRteHashOverAFullTable) {
  FlowTableConfig c;
  c.capacity = 8192;
  c.timeouts.tcp_syn_ms = 10;
  auto made = FlowTable::Create(c);
  ASSERT_TRUE(made.ok());
  FlowTable& t = **made;
  std::vector<FlowKey> keys;
  std::vector<uint32_t> sigs;
  for (uint32_t i = 0; i < 12000; ++i) {
    keys.push_back(KeyOf(i));
    sigs.push_back(t.Signature(keys.back()));
  }
  std::vector<int32_t> expected(keys.size(), -ENOENT);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    const int32_t pos = t.Insert(keys[i], sigs[i]);
    if (pos < 0) continue;  // full: the capacity is the bound
    expected[i] = pos;
    t.entry(pos).state = FlowState::kSynSeen;
    t.entry(pos).last_seen_ms = i % 3 == 0 ? 0 : 1000;  // a third of them expire by 1005 ms
  }
  t.Sweep(1005, t.capacity() * 2);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    if (expected[i] >= 0 && i % 3 == 0) expected[i] = -ENOENT;
  }
  EXPECT_EQ(Lookup(t, keys, sigs), expected);
}

// A table the check cannot vouch for gets rte_hash's own lookups: another size than it was made
// with, or not empty.
TEST(FlowLookupTest, ATableThatDoesNotCheckOutIsRefused) {
  rte_hash_parameters p{};
  p.name = "flow_lookup_probe";
  p.entries = 1024;
  p.key_len = sizeof(FlowKey);
  p.hash_func = rte_hash_crc;
  p.socket_id = SOCKET_ID_ANY;
  rte_hash* raw = rte_hash_create(&p);
  ASSERT_NE(raw, nullptr);
  HashBuckets b;
  EXPECT_FALSE(b.Locate(raw, 2048, "a table made with another size"));
  const FlowKey key = KeyOf(7);
  ASSERT_GE(rte_hash_add_key_with_hash(raw, &key, 0x12345678), 0);
  EXPECT_FALSE(b.Locate(raw, 1024, "a table with a key in it"));
  EXPECT_FALSE(b.located());
  ASSERT_GE(rte_hash_del_key_with_hash(raw, &key, 0x12345678), 0);
  EXPECT_TRUE(b.Locate(raw, 1024, "the same table, empty"));
  EXPECT_EQ(rte_hash_count(raw), 0);  // the probe key is gone again
  rte_hash_free(raw);
}

}  // namespace
}  // namespace causeway::dataplane
