// Stage 2: which service a TCP/UDP packet is for — (destination address, port, protocol), then the
// same address with port 0 (every port) — and the packet's flow key for the stages after it.
#ifndef CAUSEWAY_DATAPLANE_VIP_LOOKUP_H_
#define CAUSEWAY_DATAPLANE_VIP_LOOKUP_H_

#include <rte_ip.h>

#include <cstring>

#include "dataplane/flow_hash.h"
#include "dataplane/parse.h"
#include "dataplane/tables.h"

namespace causeway::dataplane {

// The flow's client and VIP addresses: the packet's own, or for an ICMP error the quoted packet's,
// reversed (it went VIP → client).
struct FlowAddresses {
  const uint8_t* client;
  const uint8_t* vip;
};

inline FlowAddresses AddressesOf(const uint8_t* l3, const ParsedPacket& p) {
  const uint8_t* ip = p.icmp_error ? l3 + p.quoted_l3 : l3;
  // IPv4: source at 12, destination at 16; IPv6: 8 and 24.
  const uint8_t* src = ip + (p.ipv6 ? 8 : 12);
  const uint8_t* dst = ip + (p.ipv6 ? 24 : 16);
  return p.icmp_error ? FlowAddresses{dst, src} : FlowAddresses{src, dst};
}

inline void MakeVipKey(const uint8_t* l3, const ParsedPacket& p, VipKey& k) {
  const FlowAddresses a = AddressesOf(l3, p);
  if (p.ipv6) {
    std::memcpy(k.address.data(), a.vip, 16);
    k.family = 6;
  } else {
    std::memcpy(k.address.data(), a.vip, 4);
    std::memset(k.address.data() + 4, 0, 12);
    k.family = 4;
  }
  k.port = p.dst_port;
  k.protocol = p.l4_proto;
}

// Remembers the last answer within a burst: most frames of a burst go to the same VIP and port,
// and a 32-byte compare is cheaper than hashing the key again.
class VipLookup {
 public:
  explicit VipLookup(const Tables& t) : t_(t) {}
  const ServiceRoute* Find(const uint8_t* l3, const ParsedPacket& p) {
    VipKey k;
    MakeVipKey(l3, p, k);
    if (valid_ && std::memcmp(&k, &last_, sizeof k) == 0) return last_service_;
    last_ = k;
    valid_ = true;
    last_service_ = t_.FindService(k);
    return last_service_;
  }

 private:
  const Tables& t_;
  bool valid_ = false;
  VipKey last_;
  const ServiceRoute* last_service_ = nullptr;
};

// The flow key (see FlowKey) of a parsed TCP/UDP packet whose IP header starts at `l3`.
inline void MakeFlowKey(const uint8_t* l3, const ParsedPacket& p, FlowKey& key) {
  const FlowAddresses a = AddressesOf(l3, p);
  if (p.ipv6) {
    std::memcpy(key.words.data(), a.client, 16);
    std::memcpy(key.words.data() + 2, a.vip, 16);
  } else {
    key.words[1] = key.words[2] = key.words[3] = 0;
    auto* w0 = reinterpret_cast<uint8_t*>(key.words.data());
    std::memcpy(w0, a.client, 4);
    std::memcpy(w0 + 4, a.vip, 4);
  }
  key.words[4] = uint64_t{p.src_port} | (uint64_t{p.dst_port} << 16) | (uint64_t{p.l4_proto} << 32) |
                 (uint64_t{p.ipv6 ? 6u : 4u} << 56);
  key.words[5] = 0;
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_VIP_LOOKUP_H_
