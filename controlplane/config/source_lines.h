// Where things are in a config file's text, to point a problem that causewayd reports by field path
// ("delta.upsert_endpoints[3].port") back at the line the operator wrote.
#ifndef CAUSEWAY_CONTROLPLANE_CONFIG_SOURCE_LINES_H_
#define CAUSEWAY_CONTROLPLANE_CONFIG_SOURCE_LINES_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace causeway::config {

class SourceLines {
 public:
  // Best effort: text that does not parse gives an index that knows nothing.
  static SourceLines Index(absl::string_view yaml_text);

  // 1-based line of a top-level field ("gateway") or of item `index` of a top-level list
  // ("endpoints", 3), as written in the file.
  std::optional<int> FieldLine(absl::string_view field) const;
  std::optional<int> ItemLine(absl::string_view list, size_t index) const;

 private:
  absl::flat_hash_map<std::string, int> field_lines_;
  absl::flat_hash_map<std::string, std::vector<int>> item_lines_;
};

}  // namespace causeway::config

#endif  // CAUSEWAY_CONTROLPLANE_CONFIG_SOURCE_LINES_H_
