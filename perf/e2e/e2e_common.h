// Shared by cw-tcp-load and cw-tcp-server: the blob pattern, command-line flags, clocks.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

namespace causeway::e2e {

// The bulk-transfer body, the same as scripts/lib/rebel_base.py's: byte i is
// (i % 251) ^ ((i / 251) % 256); it repeats every 251 * 256 bytes, so a reader checks every byte at
// its offset and a lost, repeated or reordered segment shows.
inline constexpr size_t kBlobPeriod = 251 * 256;

inline uint8_t BlobByte(uint64_t i) { return static_cast<uint8_t>((i % 251) ^ ((i / 251) % 256)); }

// The pattern from offset 0, kBlobPeriod + `extra` bytes long: any run of up to `extra` bytes
// starting at offset o is at window[o % kBlobPeriod].
inline std::vector<uint8_t> BlobWindow(size_t extra) {
  std::vector<uint8_t> w(kBlobPeriod + extra);
  for (size_t i = 0; i < w.size(); ++i) w[i] = BlobByte(i);
  return w;
}

inline uint64_t NowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::exit(2);
}

// --name value / --name=value flags after an optional leading mode word.
class Flags {
 public:
  Flags(int argc, char** argv, const char* usage) : usage_(usage) {
    for (int i = 1; i < argc; ++i) {
      std::string_view a = argv[i];
      if (a == "-h" || a == "--help") Usage(0);
      if (a.substr(0, 2) != "--") {
        if (!mode_.empty()) Usage(2);
        mode_ = a;
        continue;
      }
      a.remove_prefix(2);
      if (const size_t eq = a.find('='); eq != std::string_view::npos) {
        values_[std::string(a.substr(0, eq))] = std::string(a.substr(eq + 1));
      } else if (i + 1 < argc) {
        values_[std::string(a)] = argv[++i];
      } else {
        Usage(2);
      }
    }
  }
  const std::string& mode() const { return mode_; }
  std::string Str(const std::string& name, const std::string& def) {
    used_.push_back(name);
    auto it = values_.find(name);
    return it == values_.end() ? def : it->second;
  }
  uint64_t Num(const std::string& name, uint64_t def) {
    const std::string s = Str(name, "");
    if (s.empty()) return def;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (errno != 0 || *end != '\0') Die("--" + name + ": not a number: " + s);
    return v;
  }
  double Real(const std::string& name, double def) {
    const std::string s = Str(name, "");
    if (s.empty()) return def;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (*end != '\0' || v <= 0) Die("--" + name + ": not a positive number: " + s);
    return v;
  }
  // Call after every Str/Num: refuses flags nobody asked for (typos).
  void CheckAllUsed() const {
    for (const auto& [k, v] : values_) {
      bool found = false;
      for (const auto& u : used_) found = found || u == k;
      if (!found) Die("unknown flag --" + k + "\n" + usage_);
    }
  }
  [[noreturn]] void Usage(int code) const {
    std::fprintf(code == 0 ? stdout : stderr, "%s", usage_.c_str());
    std::exit(code);
  }

 private:
  std::string usage_;
  std::string mode_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> used_;
};

// "IP:PORT" (IPv4) -> sockaddr_in.
inline sockaddr_in ParseEndpoint(const std::string& s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) Die("not IP:PORT: " + s);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (inet_pton(AF_INET, s.substr(0, colon).c_str(), &a.sin_addr) != 1) Die("not an IPv4 address: " + s);
  const unsigned long port = std::strtoul(s.c_str() + colon + 1, nullptr, 10);
  if (port == 0 || port > 65535) Die("bad port: " + s);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

// The value of header `name` (case-insensitive, e.g. "content-length") in an HTTP head, if present.
inline std::optional<std::string_view> HeaderValue(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end == std::string_view::npos ? head.size() - start : end - start);
    if (line.size() > name.size() && line[name.size()] == ':' && strncasecmp(line.data(), name.data(), name.size()) == 0) {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return v;
    }
    pos = end;
  }
  return std::nullopt;
}

inline bool StatusOk(std::string_view head) {
  return head.size() >= 12 && head.substr(0, 7) == "HTTP/1." && head.substr(8, 4) == " 200";
}

}  // namespace causeway::e2e
