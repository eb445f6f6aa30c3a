#include "controlplane/adapters/mcs/yaml_reader.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace causeway::mcs {

void Reader::Problem(const YAML::Node& at, absl::string_view path, absl::string_view message) {
  const YAML::Mark m = at.Mark();
  problems_.push_back(absl::StrCat(source_, ":", m.line + 1, ":", m.column + 1, ": ", path, ": ", message));
}

void Reader::Note(const YAML::Node& at, absl::string_view message) {
  notes_.push_back(absl::StrCat(source_, ":", at.Mark().line + 1, ": ", message));
}

YAML::Node Reader::Child(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node child = map[key];
  return child.IsDefined() ? child : YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> Reader::String(const YAML::Node& map, const char* key, absl::string_view path,
                                          std::optional<std::string> fallback) {
  const YAML::Node n = Child(map, key);
  if (!Present(n)) {
    if (!fallback.has_value()) Problem(map, path, "missing");
    return fallback;
  }
  if (!n.IsScalar()) {
    Problem(n, path, "not a scalar");
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<uint32_t> Reader::Port(const YAML::Node& map, const char* key, absl::string_view path) {
  std::optional<std::string> text = String(map, key, path);
  if (!text.has_value()) return std::nullopt;
  uint32_t port = 0;
  if (!absl::SimpleAtoi(*text, &port) || port == 0 || port > 65535) {
    Problem(Child(map, key), path, absl::StrCat("\"", *text, "\" is not a port (1..65535)"));
    return std::nullopt;
  }
  return port;
}

std::optional<bool> Reader::Bool(const YAML::Node& map, const char* key, absl::string_view path) {
  const YAML::Node n = Child(map, key);
  if (!Present(n)) return std::nullopt;
  if (n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) return n.Scalar() == "true";
  Problem(n, path, "not true or false");
  return std::nullopt;
}

std::vector<YAML::Node> Reader::Items(const YAML::Node& map, const char* key, absl::string_view path) {
  std::vector<YAML::Node> out;
  const YAML::Node n = Child(map, key);
  if (!Present(n)) return out;
  if (!n.IsSequence()) {
    Problem(n, path, "not a list");
    return out;
  }
  for (const YAML::Node& item : n) out.push_back(item);
  return out;
}

}  // namespace causeway::mcs
