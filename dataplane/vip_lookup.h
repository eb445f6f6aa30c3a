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

// Remembers the last answer within a burst: most frames of a burst go to the same VIP and port.
// The comparison runs on values loaded into registers: comparing a key just written to memory with
// narrower stores would stall on store forwarding.
class VipLookup {
 public:
  explicit VipLookup(const Tables& t) : t_(t) {}
  const ServiceRoute* Find(const uint8_t* l3, const ParsedPacket& p) {
    const uint8_t* vip = AddressesOf(l3, p).vip;
    uint64_t hi = 0, lo = 0;
    if (p.ipv6) {
      std::memcpy(&hi, vip, 8);
      std::memcpy(&lo, vip + 8, 8);
    } else {
      uint32_t v4;
      std::memcpy(&v4, vip, 4);
      hi = v4;
    }
    const uint64_t rest = uint64_t{p.dst_port} | (uint64_t{p.l4_proto} << 16) | (uint64_t{p.ipv6} << 24);
    if (valid_ && hi == hi_ && lo == lo_ && rest == rest_) return last_service_;
    hi_ = hi;
    lo_ = lo;
    rest_ = rest;
    valid_ = true;
    VipKey k;
    MakeVipKey(l3, p, k);
    last_service_ = t_.FindService(k);
    return last_service_;
  }

 private:
  const Tables& t_;
  bool valid_ = false;
  uint64_t hi_ = 0, lo_ = 0, rest_ = 0;
  const ServiceRoute* last_service_ = nullptr;
};

// The flow key (see FlowKey) of a parsed TCP/UDP packet whose IP header starts at `l3`.
inline void MakeFlowKey(const uint8_t* l3, const ParsedPacket& p, FlowKey& key) {
  const FlowAddresses a = AddressesOf(l3, p);
  if (p.ipv6) {
    std::memcpy(key.words.data(), a.client, 16);
    std::memcpy(key.words.data() + 2, a.vip, 16);
  } else {
    // Composed in a register: one 8-byte store, which the hash's 8-byte load can forward from.
    uint32_t client, vip;
    std::memcpy(&client, a.client, 4);
    std::memcpy(&vip, a.vip, 4);
    key.words[0] = uint64_t{client} | (uint64_t{vip} << 32);
    key.words[1] = key.words[2] = key.words[3] = 0;
  }
  key.words[4] = uint64_t{p.src_port} | (uint64_t{p.dst_port} << 16) | (uint64_t{p.l4_proto} << 32) |
                 (uint64_t{p.ipv6 ? 6u : 4u} << 56);
  key.words[5] = 0;
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_VIP_LOOKUP_H_
