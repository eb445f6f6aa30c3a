// Figures that describe a Maglev table for operators and benchmarks: balance and disruption.
#ifndef CAUSEWAY_CONTROLPLANE_MAGLEV_TABLE_STATS_H_
#define CAUSEWAY_CONTROLPLANE_MAGLEV_TABLE_STATS_H_

#include "controlplane/maglev/maglev_table.h"

namespace causeway::maglev {

// Most slots held by one endpoint over the mean (M / endpoints). 1.0 is perfect; integers make
// ceil(M/N)/(M/N) the floor. 0 for an empty table.
double MaxOverMean(const MaglevTable& table);

// Share of the slots whose endpoint (by key) differs between two tables of the same size: the share
// of new flows that land elsewhere after a rebuild. 1.0 when the sizes differ or one table is empty
// and the other is not.
double MovedFraction(const MaglevTable& before, const MaglevTable& after);

}  // namespace causeway::maglev

#endif  // CAUSEWAY_CONTROLPLANE_MAGLEV_TABLE_STATS_H_
