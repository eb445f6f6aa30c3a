// Reading Kubernetes objects from yaml-cpp nodes with every problem collected, each at its line and
// field path, instead of stopping at the first.
#ifndef CAUSEWAY_CONTROLPLANE_ADAPTERS_MCS_YAML_READER_H_
#define CAUSEWAY_CONTROLPLANE_ADAPTERS_MCS_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace causeway::mcs {

class Reader {
 public:
  explicit Reader(absl::string_view source) : source_(source) {}

  // "<source>:<line>:<column>: <path>: <message>" at `at`'s position.
  void Problem(const YAML::Node& at, absl::string_view path, absl::string_view message);
  // "<source>:<line>: <message>".
  void Note(const YAML::Node& at, absl::string_view message);

  // A child of a map; an undefined node when `map` is not a map or has no such key.
  static YAML::Node Child(const YAML::Node& map, const char* key);
  static bool Present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

  // Field `key` of `map`, whose path is `path`. Absent (or null): `fallback`, or a problem at the map
  // when there is none. Present but not a scalar: a problem, and nullopt.
  std::optional<std::string> String(const YAML::Node& map, const char* key, absl::string_view path,
                                    std::optional<std::string> fallback = std::nullopt);
  std::optional<uint32_t> Port(const YAML::Node& map, const char* key, absl::string_view path);
  // Absent: nullopt, no problem.
  std::optional<bool> Bool(const YAML::Node& map, const char* key, absl::string_view path);
  // A sequence's items; absent: none; not a sequence: a problem, and none.
  std::vector<YAML::Node> Items(const YAML::Node& map, const char* key, absl::string_view path);

  const std::vector<std::string>& problems() const { return problems_; }
  std::vector<std::string>& notes() { return notes_; }

 private:
  std::string source_;
  std::vector<std::string> problems_;
  std::vector<std::string> notes_;
};

}  // namespace causeway::mcs

#endif  // CAUSEWAY_CONTROLPLANE_ADAPTERS_MCS_YAML_READER_H_
