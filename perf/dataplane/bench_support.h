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

// A NIC's receive path leaves the mbuf headers it just wrote in cache; pre-built mbufs are cold.
// Loops prefetch the headers of the burst after the one starting at `start` to stand in for that.
void PrefetchBurstAfter(const std::vector<rte_mbuf*>& mbufs, size_t start);

// Swaps the MACs of every frame, burst by burst, for at least 0.2 s of thread CPU time; Mpps.
double MacSwapFloorMpps(const std::vector<rte_mbuf*>& mbufs);

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_PERF_DATAPLANE_BENCH_SUPPORT_H_
