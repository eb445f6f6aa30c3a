// Bringing up an ethdev port (PCI NIC or vdev) for causewayd: one RX and one TX queue per worker,
// RSS across them when there are several (IP + TCP/UDP ports, as far as the port supports).
#ifndef CAUSEWAY_DATAPLANE_PORT_H_
#define CAUSEWAY_DATAPLANE_PORT_H_

#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>

#include "absl/status/status.h"

namespace causeway::dataplane {

struct PortConfig {
  uint16_t queues = 1;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
};

absl::Status StartPort(uint16_t port, const PortConfig& config, rte_mempool* pool, rte_ether_addr& mac);
void StopPort(uint16_t port);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_PORT_H_
