// Bringing up an ethdev port (PCI NIC or vdev) for causewayd: one RX and one TX queue per worker,
// RSS across them when there are several (IP + TCP/UDP ports, as far as the port supports).
#ifndef CAUSEWAY_DATAPLANE_PORT_H_
#define CAUSEWAY_DATAPLANE_PORT_H_

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>

#include "absl/status/status.h"

namespace causeway::dataplane {

struct PortConfig {
  uint16_t queues = 1;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  // Transmit offloads to enable when the port offers them (RTE_ETH_TX_OFFLOAD_* bits): the outer
  // checksums of encapsulated frames. Ports without them (af_packet, af_xdp) get software sums.
  uint64_t tx_offloads = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
};

// Configures and starts `port`; `mac` is its address and `tx_offloads` (when given) the subset of
// config.tx_offloads the port offers and now has enabled.
absl::Status StartPort(uint16_t port, const PortConfig& config, rte_mempool* pool, rte_ether_addr& mac,
                       uint64_t* tx_offloads = nullptr);
void StopPort(uint16_t port);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_PORT_H_
