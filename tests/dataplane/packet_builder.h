// Frames for the dataplane tests, built independently of the dataplane's code: its own byte
// layout and its own RFC 1071 checksum (a plain loop over big-endian 16-bit words), so that a bug in
// dataplane/checksum.h or the encapsulation cannot cancel out in the comparison.
#ifndef CAUSEWAY_TESTS_DATAPLANE_PACKET_BUILDER_H_
#define CAUSEWAY_TESTS_DATAPLANE_PACKET_BUILDER_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace causeway::dataplane::testing {

using Bytes = std::vector<uint8_t>;
using Mac = std::array<uint8_t, 6>;
using Ip4 = std::array<uint8_t, 4>;
using Ip6 = std::array<uint8_t, 16>;

Ip4 V4(const std::string& text);
Ip6 V6(const std::string& text);

// RFC 1071 over `data`, starting from a 32-bit partial `sum`.
uint32_t SumWords(const uint8_t* data, size_t len, uint32_t sum = 0);
uint16_t Fold(uint32_t sum);  // ~folded sum
// True when the Internet checksum over `data` (its checksum field included) verifies.
bool ChecksumOk(const uint8_t* data, size_t len, uint32_t pseudo_sum = 0);
uint32_t PseudoV4(const Ip4& src, const Ip4& dst, uint8_t proto, uint16_t len);
uint32_t PseudoV6(const Ip6& src, const Ip6& dst, uint8_t proto, uint32_t len);

inline constexpr uint8_t kSyn = 0x02, kAck = 0x10, kFin = 0x01;

Bytes Tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload, uint32_t pseudo_sum);
Bytes Udp(uint16_t sport, uint16_t dport, const Bytes& payload, uint32_t pseudo_sum, bool zero_checksum = false);
Bytes Tcp4(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload = {});
// A TCP header with `options` (a multiple of 4 bytes) and no payload.
Bytes Tcp4Options(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, uint8_t flags,
                  const Bytes& options);
Bytes Udp4(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, const Bytes& payload = {});
Bytes Tcp6(const Ip6& src, const Ip6& dst, uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload = {});
Bytes Udp6(const Ip6& src, const Ip6& dst, uint16_t sport, uint16_t dport, const Bytes& payload = {});

struct Ip4Options {
  uint8_t ttl = 64;
  uint8_t tos = 0;
  bool df = true;
  uint16_t id = 0;
};
Bytes Ipv4(const Ip4& src, const Ip4& dst, uint8_t proto, const Bytes& payload, Ip4Options o = {});
// vtc: version 6, traffic class, flow label.
Bytes Ipv6(const Ip6& src, const Ip6& dst, uint8_t next_header, const Bytes& payload, uint8_t hop = 64,
           uint32_t flow_label = 0, uint8_t traffic_class = 0);
Bytes Ether(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload, int vlan = -1);

Bytes Concat(const Bytes& a, const Bytes& b);
std::string Hex(const Bytes& b);

}  // namespace causeway::dataplane::testing

#endif  // CAUSEWAY_TESTS_DATAPLANE_PACKET_BUILDER_H_
