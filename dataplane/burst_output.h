// Where a burst's stages put their results: frames to send (with the verdict counted) and frames
// dropped (freed, with the reason counted). Shared by the pipeline's stages so that each can live in
// its own file.
#ifndef CAUSEWAY_DATAPLANE_BURST_OUTPUT_H_
#define CAUSEWAY_DATAPLANE_BURST_OUTPUT_H_

#include <netinet/in.h>
#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/counters.h"
#include "dataplane/icmp_error.h"
#include "dataplane/parse.h"

namespace causeway::dataplane {

struct BurstOutput {
  rte_mbuf** out;  // room for the burst
  uint16_t sent = 0;
  BurstCounters counters;

  void Drop(rte_mbuf* m, Counter reason) {
    counters.Add(reason);
    rte_pktmbuf_free(m);
  }
  void Send(rte_mbuf* m, Counter verdict) {
    counters.Add(verdict);
    out[sent++] = m;
  }
  // A new flow that may not start (partition safe mode): a TCP reset, else ICMP administratively
  // prohibited, back to the client; dropped when neither can be built.
  void Refuse(rte_mbuf* m, const ParsedPacket& p, const rte_ether_addr& port_mac) {
    // A reset is never answered (RFC 9293 3.10.7.1).
    if (p.l4_proto == IPPROTO_TCP && (p.tcp_flags & 0x04) != 0) return Drop(m, Counter::drop_no_backend);
    if (MakeTcpReset(m, p, port_mac) || (p.l4_proto != IPPROTO_TCP && MakeAdministrativelyProhibited(m, p, port_mac))) {
      return Send(m, Counter::refused_partition);
    }
    Drop(m, Counter::drop_no_backend);
  }
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_BURST_OUTPUT_H_
