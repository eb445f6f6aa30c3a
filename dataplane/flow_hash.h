// The keyed flow hash. One 128-bit secret key is shared by every gateway of a group (it travels in
// the compiled snapshot), so all of them pick the same Maglev slot for a flow, while nobody who does
// not know the key can choose source ports that land on one backend: SipHash-1-3 is a keyed PRF,
// unlike CRC32 whose seed is easy to undo (CRC is linear).
//
// It is computed when a flow is new (or its entry stale): the value picks the Maglev slot (hash %
// table size). Every packet is found by a cheaper signature (FlowSignature, below), which is also
// its encapsulation entropy; established flows never pay for SipHash.
#ifndef CAUSEWAY_DATAPLANE_FLOW_HASH_H_
#define CAUSEWAY_DATAPLANE_FLOW_HASH_H_

#include <array>
#include <cstdint>

namespace causeway::dataplane {

// A flow as five 64-bit words, so hashing loads whole aligned words (never a byte buffer through a
// cast: see the rte_hash_crc miscompile in shared/reference/dpdk-here.md). IPv4 addresses fill the
// first word (source, destination) and words 1..3 stay zero; IPv6 uses words 0..3 for source and
// destination. Word 4: source port, destination port (network order), protocol, family (4 or 6).
// Word 5 is zero in the flow table (48 bytes is a key length rte_hash compares with vector code; 40
// would fall back to memcmp); the NAT table keeps the peer tag there.
struct alignas(8) FlowKey {
  std::array<uint64_t, 6> words{};
};
static_assert(sizeof(FlowKey) == 48);

struct FlowHashKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};

// SipHash with c compression and d finalisation rounds over `n` 64-bit little-endian words (the
// message is the words' bytes, 8·n long). SipHash-2-4 is exposed for the published test vector.
template <int C, int D>
uint64_t SipHashWords(const FlowHashKey& key, const uint64_t* words, int n);

inline uint64_t SipRotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

template <int C, int D>
inline uint64_t SipHashWords(const FlowHashKey& key, const uint64_t* words, int n) {
  uint64_t v0 = key.k0 ^ 0x736f6d6570736575ULL;
  uint64_t v1 = key.k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = key.k0 ^ 0x6c7967656e657261ULL;
  uint64_t v3 = key.k1 ^ 0x7465646279746573ULL;
  auto round = [&] {
    v0 += v1; v1 = SipRotl(v1, 13); v1 ^= v0; v0 = SipRotl(v0, 32);
    v2 += v3; v3 = SipRotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = SipRotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = SipRotl(v1, 17); v1 ^= v2; v2 = SipRotl(v2, 32);
  };
  auto compress = [&](uint64_t m) {
    v3 ^= m;
    for (int i = 0; i < C; ++i) round();
    v0 ^= m;
  };
  for (int i = 0; i < n; ++i) compress(words[i]);
  compress(static_cast<uint64_t>(8 * n) << 56);  // the final block: length byte, no tail bytes
  v2 ^= 0xff;
  for (int i = 0; i < D; ++i) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

// The flow hash: SipHash-1-3 over two words for IPv4 (addresses, ports/protocol) and five for IPv6.
inline uint64_t FlowHash(const FlowHashKey& key, const FlowKey& flow) {
  const bool v6 = (flow.words[4] >> 56) == 6;
  if (!v6) {
    const uint64_t w[2] = {flow.words[0], flow.words[4]};
    return SipHashWords<1, 3>(key, w, 2);
  }
  return SipHashWords<1, 3>(key, flow.words.data(), 5);
}

// The flow table's signature (rte_hash *_with_hash calls): what every packet pays, so it must be
// cheap, and keyed, so that nobody can make many flows share one bucket pair (a seeded CRC would
// not do: its collisions do not depend on the seed). Each worker's table draws its own random key:
// signatures never leave the process, so gateways need not agree on them. Three 64x64→128-bit
// multiplications of key-masked words, folded (the "mum" step of wyhash-like hashes): collisions
// depend on the secret, though unlike SipHash it is not a PRF — good enough for bucket placement,
// whose worst case is a flow forwarded by Maglev alone (flow_table_full) or, in the NAT table, a new
// session refused (drop_nat_exhausted) — never a wrong backend: rte_hash compares whole keys.
struct FlowSignatureKey {
  std::array<uint64_t, 6> k{};
};

// A fresh key from DPDK's generator (seeded at EAL start), for a table that was given none.
FlowSignatureKey RandomFlowSignatureKey();

__extension__ using FlowUint128 = unsigned __int128;  // GCC/Clang's; -Wpedantic wants it marked

inline uint64_t FoldedProduct(uint64_t a, uint64_t b) {
  const FlowUint128 r = static_cast<FlowUint128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

inline uint32_t FlowSignature(const FlowSignatureKey& key, const FlowKey& flow) {
  const auto& w = flow.words;
  const auto& k = key.k;
  // Word 5 (the NAT table's peer tag) is folded into word 4's product, so keys that differ only
  // there differ here too.
  const uint64_t h = FoldedProduct(w[0] ^ k[0], w[1] ^ k[1]) ^ FoldedProduct(w[2] ^ k[2], w[3] ^ k[3]);
  const uint64_t g = FoldedProduct(h ^ w[5] ^ k[4], w[4] ^ k[5]);
  return static_cast<uint32_t>(g ^ (g >> 32));
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_FLOW_HASH_H_
