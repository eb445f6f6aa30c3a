#include "controlplane/adapters/common/port_split.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace causeway::adapters {

absl::StatusOr<std::string> ServiceNameForPort(absl::string_view name, absl::string_view port_name,
                                               size_t port_names) {
  std::string out =
      port_names <= 1 || port_name.empty() ? std::string(name) : absl::StrCat(name, "-", port_name);
  bool ok =
      !out.empty() && out.size() <= 63 && absl::ascii_isalnum(out.front()) && absl::ascii_isalnum(out.back());
  for (char c : out) ok &= absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-';
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "service \"", name, "\" port \"", port_name, "\" gives \"", out,
        "\", not a valid causeway service name (at most 63 lower-case letters, digits and '-')"));
  }
  return out;
}

}  // namespace causeway::adapters
