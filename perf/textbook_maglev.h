// The baseline the builder is measured against in the same run: the Maglev paper's pseudo-code as
// written (equal weights, a modulo per probe, a table of ints with -1 for empty). Not used by causeway.
#ifndef CAUSEWAY_PERF_TEXTBOOK_MAGLEV_H_
#define CAUSEWAY_PERF_TEXTBOOK_MAGLEV_H_

#include <cstdint>
#include <vector>

#include "controlplane/maglev/endpoint_key.h"

namespace causeway::perf {

std::vector<int32_t> TextbookMaglev(const std::vector<maglev::EndpointHashes>& hashes, uint32_t m);

}  // namespace causeway::perf

#endif  // CAUSEWAY_PERF_TEXTBOOK_MAGLEV_H_
