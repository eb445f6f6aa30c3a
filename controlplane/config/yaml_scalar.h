// How a YAML scalar reads: as null, a bool, a number or a string. Shared by both directions so that
// what ToYaml writes as plain text is exactly what the loader reads back as the same JSON value.
#ifndef CAUSEWAY_CONTROLPLANE_CONFIG_YAML_SCALAR_H_
#define CAUSEWAY_CONTROLPLANE_CONFIG_YAML_SCALAR_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace causeway::config {

enum class PlainKind { kNull, kBool, kInteger, kFloat, kString };

// YAML 1.2 core schema resolution of an untagged plain scalar ("80" is an integer, "true" a bool,
// "~" null, "10.0.0.1" a string).
PlainKind ClassifyPlain(absl::string_view text);

// The JSON text of a plain scalar that ClassifyPlain calls a bool or a number: "0x1F" → "31",
// "+5" → "5", ".5" → "0.5", ".inf" → "\"Infinity\"" (protobuf's JSON spelling). nullopt for other kinds
// and for integers beyond 64 bits.
std::optional<std::string> PlainToJson(absl::string_view text);

// A JSON string literal, quotes included.
std::string JsonQuote(absl::string_view text);

}  // namespace causeway::config

#endif  // CAUSEWAY_CONTROLPLANE_CONFIG_YAML_SCALAR_H_
