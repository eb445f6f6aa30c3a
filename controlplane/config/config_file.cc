#include "controlplane/config/config_file.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"
#include "controlplane/config/json_to_yaml.h"
#include "controlplane/config/yaml_scalar.h"
#include "controlplane/config/yaml_to_json.h"

namespace causeway::config {

absl::Status ParseYaml(absl::string_view text, absl::string_view source,
                       google::protobuf::Message& out) {
  out.Clear();
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::ParserException& ex) {
    return absl::InvalidArgumentError(absl::StrCat(source, ":", ex.mark.line + 1, ":",
                                                   ex.mark.column + 1, ": YAML syntax: ", ex.msg));
  } catch (const YAML::Exception& ex) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": YAML: ", ex.what()));
  }
  if (documents.size() > 1) {
    // Merging documents would need rules of its own; one file, one message.
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", documents.size(), " YAML documents; a config file holds one"));
  }
  if (documents.empty()) return absl::OkStatus();

  absl::StatusOr<std::string> json = YamlToJson(documents[0], *out.GetDescriptor(), source);
  if (!json.ok()) return json.status();
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(*json, &out, options);
  if (!parsed.ok()) {
    // YamlToJson has checked names, shapes and scalars, so this is rare (a well-known type's form).
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ", std::string(parsed.message().data(), parsed.message().size())));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path_or_dash) {
  std::ostringstream text;
  if (path_or_dash == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path_or_dash, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path_or_dash, ": cannot open"));
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path_or_dash, ": read error"));
  return text.str();
}

absl::Status LoadYamlFile(const std::string& path_or_dash, google::protobuf::Message& out) {
  absl::StatusOr<std::string> text = ReadFileOrStdin(path_or_dash);
  if (!text.ok()) return text.status();
  return ParseYaml(*text, path_or_dash == "-" ? "<stdin>" : path_or_dash, out);
}

absl::StatusOr<v1::State> ParseStateYaml(absl::string_view text, absl::string_view source) {
  v1::State state;
  if (absl::Status s = ParseYaml(text, source, state); !s.ok()) return s;
  return state;
}

absl::StatusOr<v1::State> LoadStateFile(const std::string& path_or_dash) {
  v1::State state;
  if (absl::Status s = LoadYamlFile(path_or_dash, state); !s.ok()) return s;
  return state;
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  std::string json;
  // Only Any and friends with unresolvable types fail to print; causeway's messages have none.
  const auto printed = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!printed.ok()) {
    return absl::StrCat("{\"error\": ",
                        JsonQuote(std::string(printed.message().data(), printed.message().size())),
                        "}");
  }
  return json;
}

std::string ToYaml(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> yaml = JsonToYaml(ToJson(message, /*pretty=*/false));
  // protobuf's JSON is always JSON that YAML reads.
  return yaml.ok() ? *yaml : absl::StrCat("# ", yaml.status().message(), "\n");
}

}  // namespace causeway::config
