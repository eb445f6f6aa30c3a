// Per-burst scratch arrays left unconstructed. A burst's stages keep a few arrays of 32 records
// (parsed headers, flow keys) whose every element is written whole before it is read; value-
// initialising them zeroed ~4 KB per burst for nothing, which showed in profiles of the fast path.
#ifndef CAUSEWAY_DATAPLANE_UNINITIALIZED_ARRAY_H_
#define CAUSEWAY_DATAPLANE_UNINITIALIZED_ARRAY_H_

#include <cstddef>
#include <type_traits>

namespace causeway::dataplane {

template <typename T, size_t N>
class UninitializedArray {
  static_assert(std::is_trivially_destructible_v<T>, "elements are never destroyed");

 public:
  UninitializedArray() {}  // NOLINT: deliberately leaves the elements unconstructed
  T& operator[](size_t i) { return v_[i]; }
  const T& operator[](size_t i) const { return v_[i]; }

 private:
  union {
    T v_[N];
  };
};

}  // namespace causeway::dataplane

#endif  // CAUSEWAY_DATAPLANE_UNINITIALIZED_ARRAY_H_
