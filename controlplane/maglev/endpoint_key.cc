#include "controlplane/maglev/endpoint_key.h"

#include <xxhash.h>

#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace causeway::maglev {
namespace {

// Fixed forever: changing either seed changes every table on every gateway at the next build.
constexpr uint64_t kOffsetSeed = 0x6361757365776179ULL;  // "causeway"
constexpr uint64_t kSkipSeed = 0x6d61676c65763031ULL;    // "maglev01"

// cluster bytes, NUL, family (4|6), 16 address bytes, port big-endian. The NUL keeps
// ("ab", ...) and ("a", "b"...) apart; cluster names never contain NUL (the control plane checks).
// Inline capacity covers cluster names up to 108 bytes (DNS labels are at most 63) without a heap
// allocation, which would cost more than the hash itself.
using KeyBytes = absl::InlinedVector<char, 128>;

KeyBytes CanonicalBytes(const EndpointKey& key) {
  KeyBytes out;
  out.reserve(key.cluster.size() + 1 + 1 + 16 + 2);
  out.insert(out.end(), key.cluster.begin(), key.cluster.end());
  out.push_back('\0');
  out.push_back(static_cast<char>(key.address.family()));
  for (uint8_t b : key.address.bytes()) out.push_back(static_cast<char>(b));
  out.push_back(static_cast<char>(key.port >> 8));
  out.push_back(static_cast<char>(key.port & 0xff));
  return out;
}

}  // namespace

std::string EndpointKey::ToString() const {
  if (address.is_v4()) return absl::StrCat(cluster, "/", address.ToString(), ":", port);
  return absl::StrCat(cluster, "/[", address.ToString(), "]:", port);
}

EndpointHashes HashEndpointKey(const EndpointKey& key) {
  const KeyBytes bytes = CanonicalBytes(key);
  return EndpointHashes{
      .offset = XXH3_64bits_withSeed(bytes.data(), bytes.size(), kOffsetSeed),
      .skip = XXH3_64bits_withSeed(bytes.data(), bytes.size(), kSkipSeed),
  };
}

}  // namespace causeway::maglev
