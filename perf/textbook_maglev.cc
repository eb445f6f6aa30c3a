#include "perf/textbook_maglev.h"

namespace causeway::perf {

std::vector<int32_t> TextbookMaglev(const std::vector<maglev::EndpointHashes>& hashes, uint32_t m) {
  const size_t n = hashes.size();
  std::vector<uint64_t> offset(n), skip(n), next(n, 0);
  for (size_t i = 0; i < n; ++i) {
    offset[i] = hashes[i].offset % m;
    skip[i] = hashes[i].skip % (m - 1) + 1;
  }
  std::vector<int32_t> entry(m, -1);
  uint32_t filled = 0;
  while (true) {
    for (size_t i = 0; i < n; ++i) {
      uint64_t c = (offset[i] + next[i] * skip[i]) % m;
      while (entry[c] >= 0) {
        ++next[i];
        c = (offset[i] + next[i] * skip[i]) % m;
      }
      entry[c] = static_cast<int32_t>(i);
      ++next[i];
      if (++filled == m) return entry;
    }
  }
}

}  // namespace causeway::perf
