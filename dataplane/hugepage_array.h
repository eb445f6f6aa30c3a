// A fixed-size array of per-flow records in DPDK memory (rte_zmalloc_socket): on hugepages when EAL
// has them, like the rte_hash it sits beside. Flow entries and NAT sessions are tens of megabytes
// touched at random, one per packet; on 4 KB pages nearly every touch would also miss the TLB.
// When EAL's memory is too small for them (a deployment sized before they moved there), they go on
// the process heap instead, with a warning: slower, but the gateway runs as it did.
#ifndef CAUSEWAY_DATAPLANE_HUGEPAGE_ARRAY_H_
#define CAUSEWAY_DATAPLANE_HUGEPAGE_ARRAY_H_

#include <rte_malloc.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <type_traits>

namespace causeway::dataplane {

template <typename T>
class HugepageArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are freed, never destroyed");

 public:
  HugepageArray() = default;
  HugepageArray(const HugepageArray&) = delete;
  HugepageArray& operator=(const HugepageArray&) = delete;
  ~HugepageArray() { Free(); }

  // `n` default-constructed elements on `socket` (SOCKET_ID_ANY: any); false when out of memory.
  bool Allocate(size_t n, int socket, const char* name) {
    Free();
    const size_t bytes = n * sizeof(T), align = alignof(T) < 64 ? 64 : alignof(T);
    data_ = static_cast<T*>(rte_zmalloc_socket(name, bytes, align, socket));
    if (data_ == nullptr) {
      data_ = static_cast<T*>(std::aligned_alloc(align, (bytes + align - 1) / align * align));
      if (data_ == nullptr) return false;
      on_heap_ = true;
      std::fprintf(stderr, "causeway: %s: %zu MB on the heap, not in DPDK memory (give EAL more: -m or hugepages)\n",
                   name, bytes >> 20);
    }
    for (size_t i = 0; i < n; ++i) new (&data_[i]) T();
    return true;
  }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  void Free() {
    if (on_heap_) {
      std::free(data_);
    } else {
      rte_free(data_);
    }
    data_ = nullptr;
    on_heap_ = false;
  }

  T* data_ = nullptr;
  bool on_heap_ = false;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_HUGEPAGE_ARRAY_H_
