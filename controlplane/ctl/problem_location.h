// Points a problem that causewayd reports by field path back at the line of the applied file.
#ifndef CAUSEWAY_CONTROLPLANE_CTL_PROBLEM_LOCATION_H_
#define CAUSEWAY_CONTROLPLANE_CTL_PROBLEM_LOCATION_H_

#include <string>

#include "absl/strings/string_view.h"
#include "causeway/v1/config.pb.h"
#include "controlplane/config/source_lines.h"

namespace causeway::ctl {

// "  (FILE:LINE)" for a problem about something the file lists, else "". causewayd names an item
// of the push by index ("delta.upsert_endpoints[3].port") or, for checks across the whole state, by
// key ('endpoints["default/web", cluster-b/10.244.1.5:8080].cluster', 'clusters["a"].id',
// 'services["default/web"]', "gateway.cluster"). `state` is the file as parsed, `lines` its index.
std::string ProblemLocation(absl::string_view problem, const v1::State& state,
                            const config::SourceLines& lines, absl::string_view file);

}  // namespace causeway::ctl

#endif  // CAUSEWAY_CONTROLPLANE_CTL_PROBLEM_LOCATION_H_
