#include "dataplane/port.h"

#include <rte_ethdev.h>

#include "absl/strings/str_cat.h"

namespace causeway::dataplane {

absl::Status StartPort(uint16_t port, const PortConfig& config, rte_mempool* pool, rte_ether_addr& mac,
                       uint64_t* tx_offloads) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) {
    return absl::InternalError(absl::StrCat("port ", port, ": dev_info: ", rc));
  }
  if (config.queues > info.max_rx_queues || config.queues > info.max_tx_queues) {
    return absl::InvalidArgumentError(absl::StrCat("port ", port, " has at most ", info.max_rx_queues,
                                                   " RX / ", info.max_tx_queues, " TX queues; ",
                                                   config.queues, " workers need one each"));
  }
  rte_eth_conf conf{};
  if (config.queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  conf.txmode.offloads = config.tx_offloads & info.tx_offload_capa;
  if (int rc = rte_eth_dev_configure(port, config.queues, config.queues, &conf); rc != 0) {
    return absl::InternalError(absl::StrCat("port ", port, ": configure: ", rc));
  }
  uint16_t rxd = config.rx_descriptors, txd = config.tx_descriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(port);
  for (uint16_t q = 0; q < config.queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port, q, rxd, socket, nullptr, pool); rc != 0) {
      return absl::InternalError(absl::StrCat("port ", port, ": rx queue ", q, ": ", rc));
    }
    if (int rc = rte_eth_tx_queue_setup(port, q, txd, socket, nullptr); rc != 0) {
      return absl::InternalError(absl::StrCat("port ", port, ": tx queue ", q, ": ", rc));
    }
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) {
    return absl::InternalError(absl::StrCat("port ", port, ": start: ", rc));
  }
  // VIPs and gateway addresses are answered for by ARP/ND with this MAC, but frames may also come
  // to it from routers that learnt it otherwise; accept everything and let the pipeline decide.
  rte_eth_promiscuous_enable(port);
  rte_eth_macaddr_get(port, &mac);
  if (tx_offloads != nullptr) *tx_offloads = conf.txmode.offloads;
  return absl::OkStatus();
}

void StopPort(uint16_t port) {
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
}

}  // namespace causeway::dataplane
