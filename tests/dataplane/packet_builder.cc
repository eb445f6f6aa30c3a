#include "tests/dataplane/packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace causeway::dataplane::testing {

Ip4 V4(const std::string& text) {
  Ip4 a;
  if (inet_pton(AF_INET, text.c_str(), a.data()) != 1) throw std::invalid_argument(text);
  return a;
}

Ip6 V6(const std::string& text) {
  Ip6 a;
  if (inet_pton(AF_INET6, text.c_str(), a.data()) != 1) throw std::invalid_argument(text);
  return a;
}

uint32_t SumWords(const uint8_t* data, size_t len, uint32_t sum) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t{data[i]} << 8) | data[i + 1];
  if (len % 2) sum += uint32_t{data[len - 1]} << 8;
  return sum;
}

uint16_t Fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

bool ChecksumOk(const uint8_t* data, size_t len, uint32_t pseudo_sum) {
  return Fold(SumWords(data, len, pseudo_sum)) == 0;
}

uint32_t PseudoV4(const Ip4& src, const Ip4& dst, uint8_t proto, uint16_t len) {
  uint32_t s = SumWords(src.data(), 4);
  s = SumWords(dst.data(), 4, s);
  return s + proto + len;
}

uint32_t PseudoV6(const Ip6& src, const Ip6& dst, uint8_t proto, uint32_t len) {
  uint32_t s = SumWords(src.data(), 16);
  s = SumWords(dst.data(), 16, s);
  return s + (len >> 16) + (len & 0xffff) + proto;
}

namespace {
// Appends with resize + memcpy: g++ 12 at -O3 reports false -Warray-bounds for vector::insert here.
void Append(Bytes& b, const Bytes& tail) {
  const size_t old = b.size();
  b.resize(old + tail.size());
  if (!tail.empty()) std::memcpy(b.data() + old, tail.data(), tail.size());
}

void Put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
}  // namespace

Bytes Tcp(uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload, uint32_t pseudo_sum) {
  Bytes b(20, 0);
  Put16(b, 0, sport);
  Put16(b, 2, dport);
  b[4] = 0x01; b[5] = 0x02; b[6] = 0x03; b[7] = 0x04;  // sequence number
  b[12] = 5 << 4;
  b[13] = flags;
  Put16(b, 14, 65535);
  Append(b, payload);
  Put16(b, 16, Fold(SumWords(b.data(), b.size(), pseudo_sum)));
  return b;
}

Bytes Udp(uint16_t sport, uint16_t dport, const Bytes& payload, uint32_t pseudo_sum, bool zero_checksum) {
  Bytes b(8, 0);
  Put16(b, 0, sport);
  Put16(b, 2, dport);
  Put16(b, 4, static_cast<uint16_t>(8 + payload.size()));
  Append(b, payload);
  if (!zero_checksum) {
    uint16_t c = Fold(SumWords(b.data(), b.size(), pseudo_sum));
    Put16(b, 6, c == 0 ? 0xffff : c);
  }
  return b;
}

Bytes Tcp4(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload) {
  return Tcp(sport, dport, flags, payload, PseudoV4(src, dst, 6, static_cast<uint16_t>(20 + payload.size())));
}
Bytes Tcp4Options(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, uint8_t flags,
                  const Bytes& options) {
  Bytes b = Tcp(sport, dport, flags, {}, 0);
  b[12] = static_cast<uint8_t>((20 + options.size()) / 4 << 4);
  b[16] = b[17] = 0;
  Append(b, options);
  Put16(b, 16, Fold(SumWords(b.data(), b.size(), PseudoV4(src, dst, 6, static_cast<uint16_t>(b.size())))));
  return b;
}
Bytes Udp4(const Ip4& src, const Ip4& dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
  return Udp(sport, dport, payload, PseudoV4(src, dst, 17, static_cast<uint16_t>(8 + payload.size())));
}
Bytes Tcp6(const Ip6& src, const Ip6& dst, uint16_t sport, uint16_t dport, uint8_t flags, const Bytes& payload) {
  return Tcp(sport, dport, flags, payload, PseudoV6(src, dst, 6, static_cast<uint32_t>(20 + payload.size())));
}
Bytes Udp6(const Ip6& src, const Ip6& dst, uint16_t sport, uint16_t dport, const Bytes& payload) {
  return Udp(sport, dport, payload, PseudoV6(src, dst, 17, static_cast<uint32_t>(8 + payload.size())));
}

Bytes Ipv4(const Ip4& src, const Ip4& dst, uint8_t proto, const Bytes& payload, Ip4Options o) {
  Bytes b(20, 0);
  b[0] = 0x45;
  b[1] = o.tos;
  Put16(b, 2, static_cast<uint16_t>(20 + payload.size()));
  Put16(b, 4, o.id);
  Put16(b, 6, o.df ? 0x4000 : 0);
  b[8] = o.ttl;
  b[9] = proto;
  std::copy(src.begin(), src.end(), b.begin() + 12);
  std::copy(dst.begin(), dst.end(), b.begin() + 16);
  Put16(b, 10, Fold(SumWords(b.data(), 20)));
  Append(b, payload);
  return b;
}

Bytes Ipv6(const Ip6& src, const Ip6& dst, uint8_t next_header, const Bytes& payload, uint8_t hop,
           uint32_t flow_label, uint8_t traffic_class) {
  Bytes b(40, 0);
  const uint32_t vtc = (6u << 28) | (uint32_t{traffic_class} << 20) | (flow_label & 0xfffff);
  b[0] = static_cast<uint8_t>(vtc >> 24); b[1] = static_cast<uint8_t>(vtc >> 16);
  b[2] = static_cast<uint8_t>(vtc >> 8); b[3] = static_cast<uint8_t>(vtc);
  Put16(b, 4, static_cast<uint16_t>(payload.size()));
  b[6] = next_header;
  b[7] = hop;
  std::copy(src.begin(), src.end(), b.begin() + 8);
  std::copy(dst.begin(), dst.end(), b.begin() + 24);
  Append(b, payload);
  return b;
}

Bytes Ether(const Mac& dst, const Mac& src, uint16_t type, const Bytes& payload, int vlan) {
  Bytes b(dst.begin(), dst.end());
  Append(b, Bytes(src.begin(), src.end()));
  if (vlan >= 0) {
    b.push_back(0x81); b.push_back(0x00);
    b.push_back(static_cast<uint8_t>(vlan >> 8)); b.push_back(static_cast<uint8_t>(vlan));
  }
  b.push_back(static_cast<uint8_t>(type >> 8));
  b.push_back(static_cast<uint8_t>(type));
  Append(b, payload);
  return b;
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes r = a;
  Append(r, b);
  return r;
}

std::string Hex(const Bytes& b) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    s += buf;
    if (i % 16 == 15) s += '\n'; else if (i % 2) s += ' ';
  }
  return s;
}

}  // namespace causeway::dataplane::testing
