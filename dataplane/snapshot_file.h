// A compiled snapshot from a small text file — a stand-in, for tests and the end-to-end test only,
// until causewayd receives snapshots from the gRPC control plane. It is NOT the control plane: the
// table it builds spreads slots round-robin over the backends (slot i → backend i mod N), not by
// Maglev, and it knows nothing of zones (every client is in zone 0).
//
//   # comment
//   version 1
//   gateway 10.99.0.1            (repeatable: the gateway's addresses; the first of each family is
//   gateway fd99::1               the tunnel source)
//   mtu 1500
//   gue_port 6080
//   flow_key 0x0123 0x4567       (SipHash key, two 64-bit words)
//   service 1 ipip               (id, ipip | gue; following lines belong to it)
//   frontend 10.99.1.100 80 tcp  (VIP, port (0 = all), tcp | udp)
//   backend 11 10.99.0.11        (id, address [next hop])
#ifndef CAUSEWAY_DATAPLANE_SNAPSHOT_FILE_H_
#define CAUSEWAY_DATAPLANE_SNAPSHOT_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "controlplane/snapshot/compiled_snapshot.h"

namespace causeway::dataplane {

inline constexpr uint32_t kSnapshotFileTableSize = 251;

absl::StatusOr<snapshot::CompiledSnapshot> ParseSnapshotFile(const std::string& text);
absl::StatusOr<snapshot::CompiledSnapshot> LoadSnapshotFile(const std::string& path);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_SNAPSHOT_FILE_H_
