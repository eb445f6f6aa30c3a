// Keeps freed memory in the process for the next round instead of handing it back to the kernel.
//
// Every round allocates the tables it compiles and frees the ones they replace: for a 1000-endpoint
// service two 256 KiB slot arrays (the Maglev table and its snapshot copy). glibc serves blocks that
// large with mmap at first and returns a heap's top to the kernel once more than about twice its
// (adaptive) mmap threshold is free there, so each round got its tables back as fresh pages: ~100
// page faults a push, ~0.2 ms of a push's latency on the development VM. With fixed thresholds
// (32 MiB), blocks below 32 MiB come from the heap and up to 32 MiB of free heap top stays mapped.
// What a daemon that rebuilds MB-sized tables many times a second wants; the process's peak use is
// what it keeps. A new thread's arena starts with 4 MiB of usable address space rather than
// 128 KiB grown a page (and a system call) at a time.
#ifndef CAUSEWAY_CONTROLPLANE_SERVER_ALLOCATOR_TUNING_H_
#define CAUSEWAY_CONTROLPLANE_SERVER_ALLOCATOR_TUNING_H_

namespace causeway::server {

// Process-wide (malloc's settings); idempotent. ControlPlane calls it when constructed.
void KeepFreedMemoryForReuse();

}  // namespace causeway::server

#endif  // CAUSEWAY_CONTROLPLANE_SERVER_ALLOCATOR_TUNING_H_
