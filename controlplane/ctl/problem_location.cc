#include "controlplane/ctl/problem_location.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace causeway::ctl {
namespace {

// The push holds the file's lists in the file's order: index i of a pushed list is item i of the
// file's list of the same kind.
std::optional<int> ByIndex(absl::string_view path, const config::SourceLines& lines) {
  const size_t open = path.find('[');
  const size_t close = path.find(']');
  size_t index = 0;
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open ||
      !absl::SimpleAtoi(path.substr(open + 1, close - open - 1), &index)) {
    return std::nullopt;
  }
  return lines.ItemLine(path.substr(0, open), index);
}

// The text between a leading `"` and the next `"`; `rest` is left after it.
std::optional<absl::string_view> Quoted(absl::string_view& rest) {
  if (!absl::ConsumePrefix(&rest, "\"")) return std::nullopt;
  const size_t end = rest.find('"');
  if (end == absl::string_view::npos) return std::nullopt;
  absl::string_view value = rest.substr(0, end);
  rest.remove_prefix(end + 1);
  return value;
}

template <typename Items, typename Match>
std::optional<int> FindItem(const Items& items, absl::string_view list,
                            const config::SourceLines& lines, Match match) {
  for (int i = 0; i < items.size(); ++i) {
    if (match(items.Get(i))) return lines.ItemLine(list, static_cast<size_t>(i));
  }
  return std::nullopt;
}

std::optional<int> ByKey(absl::string_view path, const v1::State& state,
                         const config::SourceLines& lines) {
  if (absl::ConsumePrefix(&path, "clusters[")) {
    const auto name = Quoted(path);
    if (!name) return std::nullopt;
    return FindItem(state.clusters(), "clusters", lines,
                    [&](const v1::Cluster& c) { return c.name() == *name; });
  }
  if (absl::ConsumePrefix(&path, "services[")) {
    const auto key = Quoted(path);
    if (!key) return std::nullopt;
    return FindItem(state.services(), "services", lines, [&](const v1::Service& s) {
      return absl::StrCat(s.namespace_(), "/", s.name()) == *key;
    });
  }
  if (absl::ConsumePrefix(&path, "endpoints[")) {
    // ["service", cluster/address:port] — the port after the last ':' (IPv6 addresses have more).
    const auto service = Quoted(path);
    if (!service || !absl::ConsumePrefix(&path, ", ")) return std::nullopt;
    const absl::string_view id = path.substr(0, path.find(']'));
    const size_t slash = id.find('/');
    const size_t colon = id.rfind(':');
    if (slash == absl::string_view::npos || colon == absl::string_view::npos || colon < slash) {
      return std::nullopt;
    }
    const absl::string_view cluster = id.substr(0, slash);
    const absl::string_view address = id.substr(slash + 1, colon - slash - 1);
    const absl::string_view port = id.substr(colon + 1);
    return FindItem(state.endpoints(), "endpoints", lines, [&](const v1::Endpoint& e) {
      return e.service() == *service && e.cluster() == cluster && e.address() == address &&
             absl::StrCat(e.port()) == port;
    });
  }
  return std::nullopt;
}

}  // namespace

std::string ProblemLocation(absl::string_view problem, const v1::State& state,
                            const config::SourceLines& lines, absl::string_view file) {
  std::optional<int> line;
  absl::string_view path = problem;
  if (absl::ConsumePrefix(&path, "delta.") || absl::ConsumePrefix(&path, "snapshot.")) {
    absl::ConsumePrefix(&path, "upsert_");
    line = absl::StartsWith(path, "gateway") ? lines.FieldLine("gateway") : ByIndex(path, lines);
  } else if (absl::StartsWith(path, "gateway")) {
    line = state.has_gateway() ? lines.FieldLine("gateway") : std::nullopt;
  } else {
    line = ByKey(path, state, lines);
  }
  return line.has_value() ? absl::StrCat("  (", file, ":", *line, ")") : "";
}

}  // namespace causeway::ctl
