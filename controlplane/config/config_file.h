// Config files: YAML that maps 1:1 onto the JSON form of the causeway.v1 messages (proto/), so that
// every field is documented once, in the .proto. Loading goes YAML → JSON (checked against the schema,
// yaml_to_json.h) → protobuf's JSON parser; printing goes message → JSON → YAML.
#ifndef CAUSEWAY_CONTROLPLANE_CONFIG_CONFIG_FILE_H_
#define CAUSEWAY_CONTROLPLANE_CONFIG_CONFIG_FILE_H_

#include <string>

#include <google/protobuf/message.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "causeway/v1/config.pb.h"

namespace causeway::config {

// Parses one YAML document into `out` (cleared first). `source` names the text in errors, which say
// "<source>:<line>:<column>: <field path>: <problem>", one problem per line. Unknown fields are
// errors, never ignored. An empty document is an empty message.
absl::Status ParseYaml(absl::string_view text, absl::string_view source,
                       google::protobuf::Message& out);

// Reads a whole file, or standard input for "-".
absl::StatusOr<std::string> ReadFileOrStdin(const std::string& path_or_dash);

// ReadFileOrStdin + ParseYaml, errors naming the file ("<stdin>" for "-").
absl::Status LoadYamlFile(const std::string& path_or_dash, google::protobuf::Message& out);

absl::StatusOr<v1::State> ParseStateYaml(absl::string_view text,
                                         absl::string_view source = "<string>");
absl::StatusOr<v1::State> LoadStateFile(const std::string& path_or_dash);

// The message's JSON form with the .proto's field names (as config files are written); fields at
// their default value are left out. `pretty`: indented over lines, else one line.
std::string ToJson(const google::protobuf::Message& message, bool pretty = true);

// The same as block YAML, loadable again with ParseYaml.
std::string ToYaml(const google::protobuf::Message& message);

}  // namespace causeway::config

#endif  // CAUSEWAY_CONTROLPLANE_CONFIG_CONFIG_FILE_H_
