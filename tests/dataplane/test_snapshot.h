// Hand-built compiled snapshots for dataplane tests and benchmarks, with real Maglev tables from the
// control plane's builder (the control plane itself is not involved).
#ifndef CAUSEWAY_TESTS_DATAPLANE_TEST_SNAPSHOT_H_
#define CAUSEWAY_TESTS_DATAPLANE_TEST_SNAPSHOT_H_

#include <rte_ether.h>

#include <string>
#include <vector>

#include "controlplane/snapshot/compiled_snapshot.h"
#include "dataplane/tables.h"

namespace causeway::dataplane::testing {

net::IpAddress Addr(const std::string& text);

// A backend whose next hop is its own address.
snapshot::Backend MakeBackend(uint32_t id, const std::string& address);

// A service with one Maglev table (all zones) over `backends` (size 251 unless given).
snapshot::CompiledService MakeService(uint32_t id, std::vector<snapshot::Frontend> frontends,
                                      std::vector<snapshot::Backend> backends,
                                      snapshot::Forwarding forwarding = snapshot::Forwarding::kIpip,
                                      uint32_t table_size = 251);

// A Maglev table's slots for `backends`, as the control plane would compute them.
snapshot::Table MaglevSlots(const std::vector<snapshot::Backend>& backends, uint32_t table_size);

// Gateway 10.0.0.1 / fd00::1, MTU 1500, GUE port 6080, a fixed flow-hash key.
snapshot::CompiledSnapshot BaseSnapshot();

// Static neighbours: every next hop in `snap` gets MAC 02:00:00:00:xx:yy from its backend id.
DataplaneSettings SettingsFor(const snapshot::CompiledSnapshot& snap);
rte_ether_addr BackendMac(uint32_t backend_id);

}  // namespace causeway::dataplane::testing

#endif  // CAUSEWAY_TESTS_DATAPLANE_TEST_SNAPSHOT_H_
