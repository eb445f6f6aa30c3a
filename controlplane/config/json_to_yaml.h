// JSON text → block-style YAML, for printing protobuf messages as config files are written.
#ifndef CAUSEWAY_CONTROLPLANE_CONFIG_JSON_TO_YAML_H_
#define CAUSEWAY_CONTROLPLANE_CONFIG_JSON_TO_YAML_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace causeway::config {

// Strings that YAML would read back as something else ("80", "true", "~", "") are double-quoted,
// so the output loads back to the same JSON. Key order is kept.
absl::StatusOr<std::string> JsonToYaml(absl::string_view json);

}  // namespace causeway::config

#endif  // CAUSEWAY_CONTROLPLANE_CONFIG_JSON_TO_YAML_H_
