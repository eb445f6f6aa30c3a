#include "controlplane/config/json_to_yaml.h"

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "controlplane/config/yaml_scalar.h"

namespace causeway::config {
namespace {

// Multi-line text (causewayd's aligned explanations) reads best as a literal block. Only text that
// "|" gives back exactly is written so: one final newline, no tabs or CRs, no leading space.
bool FitsLiteralBlock(const std::string& text) {
  return text.size() >= 2 && text.back() == '\n' && text[text.size() - 2] != '\n' &&
         text.front() != ' ' && text.front() != '\n' &&
         text.find_first_of("\t\r") == std::string::npos;
}

void Emit(const YAML::Node& n, YAML::Emitter& e) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& text = n.Scalar();
      // JSON strings load as quoted ("!") scalars; numbers and bools as plain ones.
      const bool was_string = n.Tag() == "!";
      if (was_string && FitsLiteralBlock(text)) {
        e << YAML::Literal << text;
      } else if (was_string && ClassifyPlain(text) != PlainKind::kString) {
        e << YAML::DoubleQuoted << text;
      } else {
        e << text;
      }
      return;
    }
    case YAML::NodeType::Sequence:
      if (n.size() == 0) e << YAML::Flow;
      e << YAML::BeginSeq;
      for (const auto& item : n) Emit(item, e);
      e << YAML::EndSeq;
      return;
    case YAML::NodeType::Map:
      if (n.size() == 0) e << YAML::Flow;
      e << YAML::BeginMap;
      for (const auto& kv : n) {
        e << YAML::Key << kv.first.Scalar() << YAML::Value;
        Emit(kv.second, e);
      }
      e << YAML::EndMap;
      return;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      e << YAML::Null;
      return;
  }
}

}  // namespace

absl::StatusOr<std::string> JsonToYaml(absl::string_view json) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(json));
  } catch (const YAML::Exception& ex) {
    return absl::InvalidArgumentError(absl::StrCat("not JSON that YAML reads: ", ex.what()));
  }
  YAML::Emitter e;
  e.SetIndent(2);
  Emit(root, e);
  if (!e.good()) return absl::InternalError(absl::StrCat("YAML emitter: ", e.GetLastError()));
  std::string out = e.c_str();
  // A literal block at the end already ends its line.
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

}  // namespace causeway::config
