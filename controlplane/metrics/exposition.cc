#include "controlplane/metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace causeway::metrics {
namespace {

std::string Escape(absl::string_view in, bool quotes) {
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), v);  // the shortest that reads back as v
  return ec == std::errc() ? std::string(buffer, end) : absl::StrFormat("%.17g", v);
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) { return Escape(value, /*quotes=*/true); }
std::string EscapeHelp(absl::string_view help) { return Escape(help, /*quotes=*/false); }

void Exposition::Family(absl::string_view name, absl::string_view type, absl::string_view help) {
  absl::StrAppend(&text_, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ", type, "\n");
}

void Exposition::Sample(absl::string_view name, const Labels& labels, double value) {
  SampleText(name, labels, FormatDouble(value));
}

void Exposition::Sample(absl::string_view name, const Labels& labels, uint64_t value) {
  SampleText(name, labels, absl::StrCat(value));
}

void Exposition::SampleText(absl::string_view name, const Labels& labels, const std::string& value) {
  absl::StrAppend(&text_, name);
  if (!labels.empty()) {
    text_ += '{';
    for (size_t i = 0; i < labels.size(); ++i) {
      absl::StrAppend(&text_, i ? "," : "", labels[i].first, "=\"", EscapeLabelValue(labels[i].second), "\"");
    }
    text_ += '}';
  }
  absl::StrAppend(&text_, " ", value, "\n");
}

}  // namespace causeway::metrics
