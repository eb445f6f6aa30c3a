// YAML → the JSON form of a protobuf message, checked against the message's schema on the way so
// that a mistake is reported at its YAML line with its field path, before protobuf's JSON parser
// (which knows neither) sees it.
#ifndef CAUSEWAY_CONTROLPLANE_CONFIG_YAML_TO_JSON_H_
#define CAUSEWAY_CONTROLPLANE_CONFIG_YAML_TO_JSON_H_

#include <string>

#include <google/protobuf/descriptor.h>
#include <yaml-cpp/yaml.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace causeway::config {

// Field names may be written as in the .proto (snake_case) or in their JSON (lowerCamelCase) form.
// Scalars follow the field: a string field takes any scalar as text (zone: 1 is the zone "1"); number,
// bool and enum fields take what YAML's core schema reads (80, 0x50, true, TCP). Fields of no schema
// (google.protobuf.Struct and friends) follow YAML alone: plain scalars that look like numbers or
// bools become JSON numbers or bools, quoted ones stay strings. Unknown fields, duplicate keys and
// values of the wrong shape are errors, all of them reported, one per line:
//   "<source>:<line>:<column>: <field path>: <what is wrong>".
absl::StatusOr<std::string> YamlToJson(const YAML::Node& root,
                                       const google::protobuf::Descriptor& type,
                                       absl::string_view source);

}  // namespace causeway::config

#endif  // CAUSEWAY_CONTROLPLANE_CONFIG_YAML_TO_JSON_H_
