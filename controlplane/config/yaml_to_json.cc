#include "controlplane/config/yaml_to_json.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controlplane/config/yaml_scalar.h"

namespace causeway::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

// A report of hundreds of lines helps nobody; the first ones show the pattern.
constexpr size_t kMaxProblems = 20;

bool IsQuoted(const YAML::Node& n) {
  // yaml-cpp tags quoted scalars "!" and plain ones "?"; an explicit !!str also means text.
  return n.Tag() == "!" || n.Tag() == "tag:yaml.org,2002:str";
}

std::string Child(const std::string& path, absl::string_view field) {
  return path.empty() ? std::string(field) : absl::StrCat(path, ".", field);
}

// The JSON name protobuf prints and the .proto name both select a field.
const FieldDescriptor* FindField(const Descriptor& type, absl::string_view key) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* f = type.field(i);
    if (f->name() == key || f->json_name() == key) return f;
  }
  return nullptr;
}

std::string FieldNames(const Descriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.field_count(); ++i) names.push_back(type.field(i)->name());
  return absl::StrJoin(names, ", ");
}

std::string EnumNames(const google::protobuf::EnumDescriptor& type) {
  std::vector<std::string> names;
  for (int i = 0; i < type.value_count(); ++i) names.push_back(type.value(i)->name());
  return absl::StrJoin(names, ", ");
}

// Checks a JSON integer literal against the field's type.
std::optional<std::string> IntegerRangeProblem(const std::string& json, FieldDescriptor::CppType t) {
  const bool is_unsigned =
      t == FieldDescriptor::CPPTYPE_UINT32 || t == FieldDescriptor::CPPTYPE_UINT64;
  if (is_unsigned) {
    uint64_t v = 0;
    if (!absl::SimpleAtoi(json, &v)) return "must be a non-negative integer";
    if (t == FieldDescriptor::CPPTYPE_UINT32 && v > std::numeric_limits<uint32_t>::max()) {
      return "is out of range for uint32";
    }
    return std::nullopt;
  }
  int64_t v = 0;
  if (!absl::SimpleAtoi(json, &v)) return "is out of range for int64";
  if (t == FieldDescriptor::CPPTYPE_INT32 &&
      (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())) {
    return "is out of range for int32";
  }
  return std::nullopt;
}

class Converter {
 public:
  explicit Converter(absl::string_view source) : source_(source) {}

  void Message(const YAML::Node& n, const Descriptor& type, const std::string& path,
               std::string& out) {
    if (!n.IsMap()) {
      Problem(n, path, absl::StrCat("expected a mapping of ", type.full_name(), " fields"));
      return;
    }
    out += '{';
    bool first = true;
    // Field number → line of its first appearance, to name both places of a duplicate.
    absl::flat_hash_map<int, int> seen;
    // Oneof index → the member already given.
    absl::flat_hash_map<int, std::string> oneof_members;
    for (const auto& kv : n) {
      const YAML::Node& key = kv.first;
      const YAML::Node& value = kv.second;
      if (!key.IsScalar()) {
        Problem(key, path, "a field name must be a plain word");
        continue;
      }
      const std::string& name = key.Scalar();
      const FieldDescriptor* f = FindField(type, name);
      if (f == nullptr) {
        Problem(key, Child(path, name),
                absl::StrCat("unknown field \"", name, "\" in ", type.full_name(),
                             " (fields: ", FieldNames(type), ")"));
        continue;
      }
      const auto [it, inserted] = seen.emplace(f->number(), key.Mark().line + 1);
      if (!inserted) {
        Problem(key, Child(path, f->name()),
                absl::StrCat("given twice (first at line ", it->second, ")"));
        continue;
      }
      // null is proto3 JSON's "unset": leaving the field out says the same.
      if (value.IsNull()) continue;
      if (const auto* oneof = f->real_containing_oneof(); oneof != nullptr) {
        const auto [other, first_of_oneof] = oneof_members.emplace(oneof->index(), f->name());
        if (!first_of_oneof) {
          Problem(key, Child(path, f->name()),
                  absl::StrCat("only one of ", oneof->name(), "'s fields may be set (also ",
                               other->second, ")"));
          continue;
        }
      }
      if (!first) out += ',';
      first = false;
      out += JsonQuote(f->name());
      out += ':';
      Field(value, *f, Child(path, f->name()), out);
    }
    out += '}';
  }

  // No schema to follow: YAML's own reading of each scalar.
  void Untyped(const YAML::Node& n, std::string& out) { Generic(n, out); }

  absl::Status Finish() const {
    if (problems_.empty()) return absl::OkStatus();
    std::vector<std::string> lines = problems_;
    if (dropped_ > 0) lines.push_back(absl::StrCat("... and ", dropped_, " more problems"));
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  void Field(const YAML::Node& n, const FieldDescriptor& f, const std::string& path,
             std::string& out) {
    if (f.is_map()) {
      MapField(n, f, path, out);
    } else if (f.is_repeated()) {
      if (!n.IsSequence()) {
        Problem(n, path, "expected a list (- item per line, or [a, b])");
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < n.size(); ++i) {
        if (i > 0) out += ',';
        Single(n[i], f, absl::StrCat(path, "[", i, "]"), out);
      }
      out += ']';
    } else {
      Single(n, f, path, out);
    }
  }

  void MapField(const YAML::Node& n, const FieldDescriptor& f, const std::string& path,
                std::string& out) {
    if (!n.IsMap()) {
      Problem(n, path, "expected a mapping");
      out += "{}";
      return;
    }
    const FieldDescriptor& value_field = *f.message_type()->map_value();
    out += '{';
    bool first = true;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        Problem(kv.first, path, "a map key must be a scalar");
        continue;
      }
      if (!first) out += ',';
      first = false;
      out += JsonQuote(kv.first.Scalar());
      out += ':';
      Single(kv.second, value_field, absl::StrCat(path, "[", kv.first.Scalar(), "]"), out);
    }
    out += '}';
  }

  // One value of a field (an element, for repeated ones).
  void Single(const YAML::Node& n, const FieldDescriptor& f, const std::string& path,
              std::string& out) {
    if (f.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f.message_type()->file()->package() == "google.protobuf") {
        Generic(n, out);  // well-known types have their own JSON forms; protobuf checks them
      } else if (n.IsNull()) {
        out += "{}";
      } else {
        Message(n, *f.message_type(), path, out);
      }
      return;
    }
    if (!n.IsScalar()) {
      Problem(n, path, absl::StrCat("expected a single value (", f.type_name(), "), not a ",
                                    n.IsMap() ? "mapping" : n.IsSequence() ? "list" : "null"));
      out += "null";
      return;
    }
    const std::string& text = n.Scalar();
    switch (f.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        out += JsonQuote(text);
        return;
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!IsQuoted(n) && ClassifyPlain(text) == PlainKind::kBool) {
          out += *PlainToJson(text);
        } else {
          Problem(n, path, absl::StrCat("expected true or false, got \"", text, "\""));
          out += "false";
        }
        return;
      case FieldDescriptor::CPPTYPE_ENUM:
        Enum(n, *f.enum_type(), path, out);
        return;
      case FieldDescriptor::CPPTYPE_FLOAT:
      case FieldDescriptor::CPPTYPE_DOUBLE:
        Number(n, f, /*integer=*/false, path, out);
        return;
      default:
        Number(n, f, /*integer=*/true, path, out);
        return;
    }
  }

  void Number(const YAML::Node& n, const FieldDescriptor& f, bool integer, const std::string& path,
              std::string& out) {
    // Quoted numbers are accepted too: proto3 JSON allows "80" for a number field.
    const std::string& text = n.Scalar();
    const PlainKind kind = ClassifyPlain(text);
    const bool ok_kind = kind == PlainKind::kInteger || (!integer && kind == PlainKind::kFloat);
    const std::optional<std::string> json = ok_kind ? PlainToJson(text) : std::nullopt;
    if (!json.has_value()) {
      Problem(n, path, absl::StrCat("expected ", integer ? "an integer" : "a number", " (",
                                    f.type_name(), "), got \"", text, "\""));
      out += '0';
      return;
    }
    if (integer) {
      if (auto problem = IntegerRangeProblem(*json, f.cpp_type())) {
        Problem(n, path, absl::StrCat(text, " ", *problem));
        out += '0';
        return;
      }
    }
    out += *json;
  }

  void Enum(const YAML::Node& n, const google::protobuf::EnumDescriptor& type,
            const std::string& path, std::string& out) {
    const std::string& text = n.Scalar();
    if (!IsQuoted(n) && ClassifyPlain(text) == PlainKind::kInteger) {
      // proto3 enums are open: any int32 number is kept as it is.
      const std::optional<std::string> json = PlainToJson(text);
      if (!json.has_value() || IntegerRangeProblem(*json, FieldDescriptor::CPPTYPE_INT32)) {
        Problem(n, path, absl::StrCat(text, " is out of range for an enum"));
        out += '0';
        return;
      }
      out += *json;
      return;
    }
    if (type.FindValueByName(text) == nullptr) {
      Problem(n, path, absl::StrCat("unknown ", type.full_name(), " \"", text,
                                    "\" (one of: ", EnumNames(type), ")"));
    }
    out += JsonQuote(text);
  }

  // Every scalar by its YAML form alone (see Untyped).
  void Generic(const YAML::Node& n, std::string& out) {
    if (n.IsNull()) {
      out += "null";
    } else if (n.IsScalar()) {
      std::optional<std::string> json;
      if (!IsQuoted(n)) json = PlainToJson(n.Scalar());
      out += json.has_value() ? *json : JsonQuote(n.Scalar());
    } else if (n.IsSequence()) {
      out += '[';
      for (size_t i = 0; i < n.size(); ++i) {
        if (i > 0) out += ',';
        Generic(n[i], out);
      }
      out += ']';
    } else if (n.IsMap()) {
      out += '{';
      bool first = true;
      for (const auto& kv : n) {
        if (!first) out += ',';
        first = false;
        out += JsonQuote(kv.first.Scalar());
        out += ':';
        Generic(kv.second, out);
      }
      out += '}';
    }
  }

  void Problem(const YAML::Node& at, const std::string& path, const std::string& what) {
    if (problems_.size() >= kMaxProblems) {
      ++dropped_;
      return;
    }
    const YAML::Mark mark = at.Mark();
    std::string where = std::string(source_);
    if (!mark.is_null()) absl::StrAppend(&where, ":", mark.line + 1, ":", mark.column + 1);
    problems_.push_back(absl::StrCat(where, ": ", path.empty() ? "(top)" : path, ": ", what));
  }

  absl::string_view source_;
  std::vector<std::string> problems_;
  size_t dropped_ = 0;
};

}  // namespace

absl::StatusOr<std::string> YamlToJson(const YAML::Node& root, const Descriptor& type,
                                       absl::string_view source) {
  // An empty document is an empty message: a config file may hold any part of the state.
  if (root.IsNull()) return std::string("{}");
  Converter converter(source);
  std::string json;
  if (type.file()->package() == "google.protobuf") {
    converter.Untyped(root, json);  // Struct, Value, ...: protobuf's parser checks their forms
  } else {
    converter.Message(root, type, "", json);
  }
  if (absl::Status s = converter.Finish(); !s.ok()) return s;
  return json;
}

}  // namespace causeway::config
