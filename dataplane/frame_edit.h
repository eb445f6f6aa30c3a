// Small edits every rewriting stage needs: growing a frame in front of its IP header (the Ethernet
// header and VLAN tag move forward), and cutting Ethernet padding off the end.
#ifndef CAUSEWAY_DATAPLANE_FRAME_EDIT_H_
#define CAUSEWAY_DATAPLANE_FRAME_EDIT_H_

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <cstring>

namespace causeway::dataplane {

// Opens `gap` bytes between the L2 header (`l2_len` bytes) and the IP header. Returns the frame's
// new start, or nullptr when the mbuf has too little headroom (nothing changed then).
inline uint8_t* OpenGapAfterL2(rte_mbuf* m, uint16_t l2_len, uint16_t gap) {
  auto* start = reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m, gap));
  if (start == nullptr) return nullptr;
  // gap (≥ 20) exceeds l2_len (14 or 18): the two ranges never overlap. Fixed sizes inline.
  if (l2_len == 14) {
    std::memcpy(start, start + gap, 14);
  } else {
    std::memcpy(start, start + gap, l2_len);
  }
  return start;
}

// Drops bytes after the IP packet (minimum-size Ethernet padding) so the frame ends where it does.
// A one-segment frame (all the parser lets through) is cut here: rte_pktmbuf_trim finds the last
// segment through m->next, which lives in the mbuf's second cache line, a line nothing else on the
// forwarding path reads — a cache miss on every padded minimum-size frame.
inline void TrimToLength(rte_mbuf* m, uint32_t frame_len) {
  if (m->data_len <= frame_len) return;
  const auto cut = static_cast<uint16_t>(m->data_len - frame_len);
  if (m->nb_segs == 1) {
    m->data_len = static_cast<uint16_t>(frame_len);
    m->pkt_len -= cut;
  } else {
    rte_pktmbuf_trim(m, cut);
  }
}

// The EtherType field that names the L3 protocol (after the VLAN tag when there is one).
inline uint16_t* InnerEtherType(uint8_t* frame, uint16_t l2_len) {
  return reinterpret_cast<uint16_t*>(frame + l2_len - 2);
}

// Addresses a reply to whoever sent the frame: destination = old source, source = our MAC.
inline void ReplyMacs(uint8_t* frame, const rte_ether_addr& ours) {
  auto* eth = reinterpret_cast<rte_ether_hdr*>(frame);
  eth->dst_addr = eth->src_addr;
  eth->src_addr = ours;
}

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_FRAME_EDIT_H_
