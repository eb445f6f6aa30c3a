// The identity of an endpoint across the cluster set: (cluster, address, port). Island clusters reuse
// pod addresses, so the address alone never identifies an endpoint.
#ifndef CAUSEWAY_CONTROLPLANE_MAGLEV_ENDPOINT_KEY_H_
#define CAUSEWAY_CONTROLPLANE_MAGLEV_ENDPOINT_KEY_H_

#include <compare>
#include <cstdint>
#include <string>

#include "controlplane/net/ip_address.h"

namespace causeway::maglev {

struct EndpointKey {
  std::string cluster;
  net::IpAddress address;
  uint16_t port = 0;

  friend auto operator<=>(const EndpointKey&, const EndpointKey&) = default;
  friend bool operator==(const EndpointKey&, const EndpointKey&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const EndpointKey& k) {
    return H::combine(std::move(h), k.cluster, k.address, k.port);
  }

  // "cluster/address:port" ("cluster/[v6]:port"), for logs and operators.
  std::string ToString() const;
};

// The two hashes Maglev needs per endpoint (offset and skip), from a canonical byte encoding of the
// key with XXH3 and two fixed seeds. XXH3's output is specified independently of platform and build,
// so every gateway that holds the same endpoints computes the same permutations.
struct EndpointHashes {
  uint64_t offset;
  uint64_t skip;
};
EndpointHashes HashEndpointKey(const EndpointKey& key);

}  // namespace causeway::maglev

#endif  // CAUSEWAY_CONTROLPLANE_MAGLEV_ENDPOINT_KEY_H_
