// The one Internet checksum helper (RFC 1071) of the dataplane: headers we build (outer IPv4, GUE
// over IPv6, ICMP, ICMPv6) are summed here in software. Not used per packet on the IPv4 IPIP path
// except for the 20-byte outer header.
#ifndef CAUSEWAY_DATAPLANE_CHECKSUM_H_
#define CAUSEWAY_DATAPLANE_CHECKSUM_H_

#include <rte_ip.h>

#include <cstdint>

namespace causeway::dataplane {

// 32-bit partial sum of `len` bytes, continuing `sum`, in the machine's byte order: ones'
// complement sums are byte-order independent (RFC 1071 2(B)), so the result is stored as is.
inline uint32_t ChecksumAdd(const void* data, size_t len, uint32_t sum = 0) {
  return __rte_raw_cksum(data, len, sum);
}

// Folds a partial sum and complements it: the value to store in a checksum field.
inline uint16_t ChecksumFinish(uint32_t sum) {
  const uint16_t folded = __rte_raw_cksum_reduce(sum);
  return static_cast<uint16_t>(~folded);
}

// Incremental update when one 16-bit word covered by `checksum` changes (RFC 1624 eqn. 3). All
// three values as stored in the packet.
inline uint16_t UpdatedChecksum(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = uint32_t{static_cast<uint16_t>(~checksum)} + static_cast<uint16_t>(~old_word) + new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

inline void SetIpv4HeaderChecksum(rte_ipv4_hdr* ip) {
  ip->hdr_checksum = 0;
  ip->hdr_checksum = ChecksumFinish(ChecksumAdd(ip, rte_ipv4_hdr_len(ip)));
}

// The checksum of an upper-layer message over IPv6 (RFC 8200 8.1): pseudo header of source,
// destination, length and next header, then the message itself.
inline uint16_t Ipv6UpperChecksum(const uint8_t* src, const uint8_t* dst, uint8_t next_header,
                                  const void* message, uint32_t len) {
  uint32_t sum = ChecksumAdd(src, 16);
  sum = ChecksumAdd(dst, 16, sum);
  const uint32_t tail[2] = {rte_cpu_to_be_32(len), rte_cpu_to_be_32(next_header)};
  sum = ChecksumAdd(tail, sizeof tail, sum);
  return ChecksumFinish(ChecksumAdd(message, len, sum));
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_CHECKSUM_H_
