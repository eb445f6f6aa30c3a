#include "controlplane/config/source_lines.h"

#include <yaml-cpp/yaml.h>

namespace causeway::config {

SourceLines SourceLines::Index(absl::string_view yaml_text) {
  SourceLines lines;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception&) {
    return lines;
  }
  if (!root.IsMap()) return lines;
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) continue;
    const std::string& name = kv.first.Scalar();
    lines.field_lines_[name] = kv.first.Mark().line + 1;
    if (!kv.second.IsSequence()) continue;
    std::vector<int>& items = lines.item_lines_[name];
    for (const auto& item : kv.second) items.push_back(item.Mark().line + 1);
  }
  return lines;
}

std::optional<int> SourceLines::FieldLine(absl::string_view field) const {
  const auto it = field_lines_.find(field);
  if (it == field_lines_.end()) return std::nullopt;
  return it->second;
}

std::optional<int> SourceLines::ItemLine(absl::string_view list, size_t index) const {
  const auto it = item_lines_.find(list);
  if (it == item_lines_.end() || index >= it->second.size()) return std::nullopt;
  return it->second[index];
}

}  // namespace causeway::config
