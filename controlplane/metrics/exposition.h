// Prometheus text exposition format (version 0.0.4), written by hand: families with HELP and TYPE
// lines, samples with escaped label values.
#ifndef CAUSEWAY_CONTROLPLANE_METRICS_EXPOSITION_H_
#define CAUSEWAY_CONTROLPLANE_METRICS_EXPOSITION_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace causeway::metrics {

inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value as the format wants it inside quotes: backslash, double quote and newline escaped.
std::string EscapeLabelValue(absl::string_view value);
// HELP text: backslash and newline escaped.
std::string EscapeHelp(absl::string_view help);

class Exposition {
 public:
  // Starts a family: its HELP and TYPE lines ("counter", "gauge"). Each name once per page.
  void Family(absl::string_view name, absl::string_view type, absl::string_view help);
  // One sample of the current family (or `name` with a suffix of it).
  void Sample(absl::string_view name, const Labels& labels, double value);
  void Sample(absl::string_view name, const Labels& labels, uint64_t value);

  const std::string& text() const { return text_; }

 private:
  void SampleText(absl::string_view name, const Labels& labels, const std::string& value);
  std::string text_;
};

}  // namespace causeway::metrics

#endif  // CAUSEWAY_CONTROLPLANE_METRICS_EXPOSITION_H_
