// A fixed-size array of per-flow records in DPDK memory (rte_zmalloc_socket): on hugepages when EAL
// has them, like the rte_hash it sits beside. Flow entries and NAT sessions are tens of megabytes
// touched at random, one per packet; on 4 KB pages nearly every touch would also miss the TLB.
#ifndef CAUSEWAY_DATAPLANE_HUGEPAGE_ARRAY_H_
#define CAUSEWAY_DATAPLANE_HUGEPAGE_ARRAY_H_

#include <rte_malloc.h>

#include <cstddef>
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
  ~HugepageArray() { rte_free(data_); }

  // `n` default-constructed elements on `socket` (SOCKET_ID_ANY: any); false when out of memory.
  bool Allocate(size_t n, int socket, const char* name) {
    rte_free(data_);
    data_ = static_cast<T*>(rte_zmalloc_socket(name, n * sizeof(T), alignof(T) < 64 ? 64 : alignof(T), socket));
    if (data_ == nullptr) return false;
    for (size_t i = 0; i < n; ++i) new (&data_[i]) T();
    return true;
  }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_HUGEPAGE_ARRAY_H_
