#include "controlplane/config/yaml_scalar.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace causeway::config {
namespace {

bool AllOf(absl::string_view s, bool (*pred)(unsigned char)) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!pred(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

bool IsDigit(unsigned char c) { return absl::ascii_isdigit(c); }
bool IsHexDigit(unsigned char c) { return absl::ascii_isxdigit(c); }
bool IsOctDigit(unsigned char c) { return c >= '0' && c <= '7'; }

bool IsInfinity(absl::string_view s) {
  return s == ".inf" || s == ".Inf" || s == ".INF";
}

bool IsNan(absl::string_view s) { return s == ".nan" || s == ".NaN" || s == ".NAN"; }

// [-+]?[0-9]+ and the 0x / 0o forms of the core schema.
bool IsInteger(absl::string_view s) {
  if (absl::StartsWith(s, "0x")) return AllOf(s.substr(2), IsHexDigit);
  if (absl::StartsWith(s, "0o")) return AllOf(s.substr(2), IsOctDigit);
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return AllOf(s, IsDigit);
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, plus the signed infinities.
bool IsFloat(absl::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (IsInfinity(s)) return true;
  size_t i = 0;
  size_t int_digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++int_digits;
  size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (!AllOf(s.substr(i), IsDigit)) return false;
    i = s.size();
  }
  return i == s.size();
}

}  // namespace

PlainKind ClassifyPlain(absl::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return PlainKind::kNull;
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE") {
    return PlainKind::kBool;
  }
  if (IsInteger(s)) return PlainKind::kInteger;
  if (IsFloat(s) || IsNan(s)) return PlainKind::kFloat;
  return PlainKind::kString;
}

std::optional<std::string> PlainToJson(absl::string_view s) {
  switch (ClassifyPlain(s)) {
    case PlainKind::kBool:
      return std::string(absl::AsciiStrToLower(s));
    case PlainKind::kInteger: {
      const bool negative = absl::StartsWith(s, "-");
      absl::string_view digits = s;
      if (negative || absl::StartsWith(s, "+")) digits.remove_prefix(1);
      int base = 10;
      if (absl::StartsWith(s, "0x")) base = 16, digits.remove_prefix(2);
      if (absl::StartsWith(s, "0o")) base = 8, digits.remove_prefix(2);
      uint64_t magnitude = 0;
      for (char c : digits) {
        const uint64_t d = absl::ascii_isdigit(static_cast<unsigned char>(c))
                               ? static_cast<uint64_t>(c - '0')
                               : static_cast<uint64_t>(absl::ascii_tolower(c) - 'a' + 10);
        if (magnitude > (UINT64_MAX - d) / static_cast<uint64_t>(base)) return std::nullopt;
        magnitude = magnitude * static_cast<uint64_t>(base) + d;
      }
      if (magnitude == 0) return std::string("0");
      return absl::StrCat(negative ? "-" : "", magnitude);
    }
    case PlainKind::kFloat: {
      if (IsNan(s)) return std::string("\"NaN\"");
      const bool negative = absl::StartsWith(s, "-");
      absl::string_view body = s;
      if (negative || absl::StartsWith(s, "+")) body.remove_prefix(1);
      if (IsInfinity(body)) return std::string(negative ? "\"-Infinity\"" : "\"Infinity\"");
      double value = 0;
      // SimpleAtod takes every form IsFloat accepts ("1.", ".5", "1e3").
      if (!absl::SimpleAtod(s, &value)) return std::nullopt;
      // The shortest of %.15g / %.17g that reads back as the same double: 1.4 stays "1.4".
      std::string shortest = absl::StrFormat("%.15g", value);
      double back = 0;
      if (!absl::SimpleAtod(shortest, &back) || back != value) {
        shortest = absl::StrFormat("%.17g", value);
      }
      return shortest;
    }
    case PlainKind::kNull:
    case PlainKind::kString:
      break;
  }
  return std::nullopt;
}

std::string JsonQuote(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace causeway::config
