// Both fills against slow reference implementations written from their definitions: the fast paths
// (grouped probing, the closed-form tail) must give exactly the tables the definitions give.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "controlplane/maglev/maglev_table.h"
#include "controlplane/maglev/permutation.h"
#include "controlplane/maglev/table_stats.h"
#include "gtest/gtest.h"

namespace causeway::maglev {
namespace {

struct Prepared {
  std::vector<WeightedEndpoint> endpoints;  // canonical order, weight > 0
  std::vector<uint64_t> offset, skip;
  std::vector<uint32_t> quotas;
};

Prepared Prepare(std::vector<WeightedEndpoint> e, uint32_t m) {
  std::erase_if(e, [](const WeightedEndpoint& w) { return w.weight == 0; });
  std::sort(e.begin(), e.end(), [](const WeightedEndpoint& a, const WeightedEndpoint& b) {
    const EndpointHashes ha = HashEndpointKey(a.key), hb = HashEndpointKey(b.key);
    if (ha.offset != hb.offset) return ha.offset < hb.offset;
    if (ha.skip != hb.skip) return ha.skip < hb.skip;
    return a.key < b.key;
  });
  Prepared p;
  std::vector<EndpointHashes> hashes;
  for (const auto& w : e) {
    const EndpointHashes h = HashEndpointKey(w.key);
    hashes.push_back(h);
    p.offset.push_back(h.offset % m);
    p.skip.push_back(h.skip % (m - 1) + 1);
  }
  p.quotas = ProportionalQuotas(e, hashes, m);
  p.endpoints = std::move(e);
  return p;
}

uint32_t SlotAt(const Prepared& p, size_t e, uint64_t depth, uint32_t m) {
  return static_cast<uint32_t>((p.offset[e] + depth * p.skip[e]) % m);
}

// The paper's loop, with quotas: rounds; each endpoint with quota left walks to its next free slot.
std::vector<uint16_t> ReferenceRoundRobin(const Prepared& p, uint32_t m) {
  std::vector<int32_t> owner(m, -1);
  std::vector<uint64_t> depth(p.endpoints.size(), 0);
  std::vector<uint32_t> left = p.quotas;
  for (uint32_t filled = 0; filled < m;) {
    for (size_t e = 0; e < p.endpoints.size(); ++e) {
      if (left[e] == 0) continue;
      while (owner[SlotAt(p, e, depth[e], m)] >= 0) ++depth[e];
      owner[SlotAt(p, e, depth[e]++, m)] = static_cast<int32_t>(e);
      --left[e];
      ++filled;
    }
  }
  return {owner.begin(), owner.end()};
}

// Deferred acceptance with proposals in a random order: endpoints propose down their permutations;
// a slot keeps the proposer that ranks it highest (smallest depth, then canonical order). The result
// does not depend on the order, and must equal the depth fill.
std::vector<uint16_t> ReferenceDeferredAcceptance(const Prepared& p, uint32_t m, uint32_t seed) {
  const size_t n = p.endpoints.size();
  std::vector<int32_t> owner(m, -1);
  std::vector<uint64_t> owner_depth(m, 0);
  std::vector<uint64_t> depth(n, 0);
  std::vector<uint32_t> left = p.quotas;
  std::vector<uint32_t> wanting;
  for (uint32_t e = 0; e < n; ++e) {
    if (left[e] > 0) wanting.push_back(e);
  }
  std::mt19937 rng(seed);
  while (!wanting.empty()) {
    const size_t pick = rng() % wanting.size();
    const uint32_t e = wanting[pick];
    const uint32_t s = SlotAt(p, e, depth[e], m);
    const uint64_t d = depth[e]++;
    const int32_t holder = owner[s];
    const bool wins = holder < 0 || d < owner_depth[s] ||
                      (d == owner_depth[s] && e < static_cast<uint32_t>(holder));
    if (!wins) continue;
    if (holder >= 0) {
      if (left[holder]++ == 0) wanting.push_back(static_cast<uint32_t>(holder));
    }
    owner[s] = static_cast<int32_t>(e);
    owner_depth[s] = d;
    if (--left[e] == 0) {
      wanting.erase(std::find(wanting.begin(), wanting.end(), e));
    }
  }
  return {owner.begin(), owner.end()};
}

std::vector<WeightedEndpoint> Endpoints(uint32_t n, bool weighted) {
  std::vector<WeightedEndpoint> v;
  for (uint32_t i = 0; i < n; ++i) {
    v.push_back({{i % 3 ? "east" : "west", net::IpAddress::V4(0x0af40000u + i + 1), 8080},
                 weighted ? i % 4 + 1 : 1});
  }
  return v;
}

struct Case {
  uint32_t n;
  uint32_t m;
  bool weighted;
};

class FillTest : public ::testing::TestWithParam<Case> {};

TEST_P(FillTest, RoundRobinMatchesThePaperLoop) {
  const Case c = GetParam();
  const auto e = Endpoints(c.n, c.weighted);
  auto t = BuildMaglevTable(e, c.m, MaglevFill::kRoundRobin);
  ASSERT_TRUE(t.ok()) << t.status();
  const std::vector<uint16_t> want = ReferenceRoundRobin(Prepare(e, c.m), c.m);
  EXPECT_TRUE(std::equal(want.begin(), want.end(), t->slots().begin(), t->slots().end()));
}

TEST_P(FillTest, ByDepthMatchesDeferredAcceptanceInAnyOrder) {
  const Case c = GetParam();
  const auto e = Endpoints(c.n, c.weighted);
  auto t = BuildMaglevTable(e, c.m, MaglevFill::kByDepth);
  ASSERT_TRUE(t.ok()) << t.status();
  const Prepared p = Prepare(e, c.m);
  for (uint32_t seed : {1u, 2u}) {
    const std::vector<uint16_t> want = ReferenceDeferredAcceptance(p, c.m, seed);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), t->slots().begin(), t->slots().end())) << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, FillTest,
                         ::testing::Values(Case{1, 251, false}, Case{3, 251, false}, Case{3, 251, true},
                                           Case{50, 4093, false}, Case{50, 4093, true},
                                           Case{200, 251, false}, Case{1000, 65537, false},
                                           Case{300, 65537, true}, Case{13, 65537, false},
                                           Case{1001, 131071, true}));

// The depth fill with the probing implementations allowed (the widest the CPU has is used).
std::vector<uint16_t> ByDepthWith(const std::vector<WeightedEndpoint>& e, uint32_t m, bool avx2, bool avx512) {
  internal::g_allow_avx2 = avx2;
  internal::g_allow_avx512 = avx512;
  auto t = BuildMaglevTable(e, m, MaglevFill::kByDepth);
  internal::g_allow_avx2 = internal::g_allow_avx512 = true;
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::vector<uint16_t>(t->slots().begin(), t->slots().end()) : std::vector<uint16_t>();
}

TEST_P(FillTest, PortableAndAvx2ProbingAgree) {
  if (!internal::CpuHasAvx2()) GTEST_SKIP() << "no AVX2 on this CPU";
  const Case c = GetParam();
  if (c.n < 64) GTEST_SKIP() << "the vector path starts at 64 endpoints";
  const auto e = Endpoints(c.n, c.weighted);
  EXPECT_EQ(ByDepthWith(e, c.m, false, false), ByDepthWith(e, c.m, true, false));
}

TEST_P(FillTest, PortableAndAvx512ProbingAgree) {
  if (!internal::CpuHasAvx512()) GTEST_SKIP() << "no AVX-512 on this CPU";
  const Case c = GetParam();
  if (c.n < 64) GTEST_SKIP() << "the vector path starts at 64 endpoints";
  const auto e = Endpoints(c.n, c.weighted);
  EXPECT_EQ(ByDepthWith(e, c.m, false, false), ByDepthWith(e, c.m, true, true));
}

// Many endpoints over few slots: lanes of one step or one depth that want the same bitmap word, or
// the same slot, are common, so the AVX2 probe's in-order claims and the AVX-512 probe's re-check
// of each listed slot are exercised (and checked) here.
TEST(MaglevFill, VectorProbingAgreesWhenLanesShareWords) {
  const auto e = Endpoints(2000, true);
  const std::vector<uint16_t> portable = ByDepthWith(e, 4093, false, false);
  EXPECT_EQ(portable, ByDepthWith(e, 4093, true, false));
  EXPECT_EQ(portable, ByDepthWith(e, 4093, true, true));
}

TEST(MaglevFill, ByDepthMovesLessThanRoundRobinOnRemoval) {
  auto e = Endpoints(1000, false);
  double moved[2];
  for (MaglevFill fill : {MaglevFill::kByDepth, MaglevFill::kRoundRobin}) {
    double sum = 0;
    const MaglevTable before = *BuildMaglevTable(e, 65537, fill);
    for (uint32_t r = 0; r < 1000; r += 100) {
      auto fewer = e;
      fewer.erase(fewer.begin() + r);
      sum += MovedFraction(before, *BuildMaglevTable(fewer, 65537, fill));
    }
    moved[fill == MaglevFill::kByDepth ? 0 : 1] = sum / 10;
  }
  EXPECT_LT(moved[0], 0.0050) << "depth fill";
  EXPECT_GT(moved[1], 0.0060) << "round-robin fill";
  EXPECT_LT(moved[0], moved[1] * 0.7);
}

}  // namespace
}  // namespace causeway::maglev
