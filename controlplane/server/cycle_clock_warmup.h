// Makes abseil measure the CPU's cycle-clock frequency now, before any request, not in one.
//
// absl::Mutex (which gRPC's own locks are built on, as are ours) reads a waiting thread's
// scheduling priority when it queues that thread behind another waiter, and the first time any
// thread in the process does so it asks for CycleClock::Frequency(). Where the kernel does not
// export the TSC frequency (/sys/devices/system/cpu/cpu0/tsc_freq_khz, which mainline Linux does
// not), abseil 20220623 measures it by sleeping 1 ms, then 2 ms, and so on until two measurements
// agree (3 ms here; at most 8 rounds, ~255 ms, paid once at construction now),
// and it sleeps while holding the mutex's internal spin bit: every other thread that locks or
// unlocks that mutex spins and sleeps behind it. Seen as one push a process 3.2 ms slower than
// the rest (scheduler and syscall traces of BM_PushToSnapshot, 2026-11-25): the request waited in
// gRPC's completion-queue lock while a gRPC thread measured the clock.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_CYCLE_CLOCK_WARMUP_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_CYCLE_CLOCK_WARMUP_H_

namespace causeway::server {

// Process-wide; the measurement runs once, later calls return at once. ControlPlane calls it when
// constructed, before a server can take a request.
void MeasureCycleClockFrequencyNow();

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_CYCLE_CLOCK_WARMUP_H_
