// What the dataplane benchmarks share: EAL started once, lazily (with hugepages when the system has
// free ones), and the MAC-swap floor — the rate of a trivial loop over the same mbufs, which no
// pipeline can beat — timed in thread CPU time like Google Benchmark's own rates.
#ifndef CAUSEWAY_PERF_DATAPLANE_BENCH_SUPPORT_H_
#define CAUSEWAY_PERF_DATAPLANE_BENCH_SUPPORT_H_

#include <cstddef>
#include <vector>

struct rte_mbuf;

namespace causeway::dataplane {

// Starts EAL on the first call; false when it failed. Later calls return the first answer.
bool StartEal();
// True when EAL runs on hugepages (the counter "hugepages" reports it).
bool EalOnHugepages();

// A NIC's receive path leaves what it just wrote in cache — the mbuf headers (the driver fills them
// from the descriptors) and the frames themselves (DMA lands in the last-level cache: Intel DDIO) —
// while pre-built mbufs are cold. Every loop (pipeline and floor alike) stands in for that from the
// burst starting at `start`: it prefetches the frames' first line of the next burst (whose headers
// the call before prefetched) and the headers of the burst after it. The flow and session tables,
// which is what the benchmarks are about, get no such help.
void PrefetchBurstAfter(const std::vector<rte_mbuf*>& mbufs, size_t start);

// Swaps the MACs of every frame, burst by burst, for at least 0.2 s of thread CPU time; Mpps.
double MacSwapFloorMpps(const std::vector<rte_mbuf*>& mbufs);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_PERF_DATAPLANE_BENCH_SUPPORT_H_
