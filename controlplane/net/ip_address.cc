#include "controlplane/net/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace causeway::net {
namespace {

// Dotted quad in canonical form (decimal 0..255, no leading zero, four parts): what nearly every
// pushed address is, and what inet_pton reads the same way. Anything else returns false and goes to
// inet_pton, which decides.
bool ParseCanonicalV4(absl::string_view text, uint8_t* out) {
  size_t part = 0;
  uint32_t value = 0;
  size_t digits = 0;
  for (char c : text) {
    if (c == '.') {
      if (digits == 0 || part == 3) return false;
      out[part++] = static_cast<uint8_t>(value);
      value = 0;
      digits = 0;
    } else if (c >= '0' && c <= '9') {
      if (digits == 1 && value == 0) return false;  // a leading zero
      value = value * 10 + static_cast<uint32_t>(c - '0');
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  if (digits == 0 || part != 3) return false;
  out[3] = static_cast<uint8_t>(value);
  return true;
}

}  // namespace

bool IpAddress::IsCanonicalV4(absl::string_view text) {
  uint8_t bytes[4];
  return ParseCanonicalV4(text, bytes);
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  IpAddress a;
  if (ParseCanonicalV4(text, a.bytes_.data())) {
    a.family_ = Family::kV4;
    return a;
  }
  // inet_pton needs a terminated string; addresses are short.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return absl::InvalidArgumentError(absl::StrCat("malformed IP address \"", text, "\""));
  }
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  if (inet_pton(AF_INET, buf, a.bytes_.data()) == 1) {
    a.family_ = Family::kV4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes_.data()) == 1) {
    a.family_ = Family::kV6;
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("malformed IP address \"", text, "\""));
}

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kV4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  return a;
}

uint32_t IpAddress::v4() const {
  if (!is_v4()) return 0;
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::string IpAddress::ToString() const {
  if (is_v4()) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, and every pushed endpoint's address is
    // normalised through here.
    std::string out;
    out.reserve(15);
    for (size_t i = 0; i < 4; ++i) {
      if (i != 0) out.push_back('.');
      absl::StrAppend(&out, static_cast<unsigned>(bytes_[i]));
    }
    return out;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));  // IPv4 returned above
  return buf;
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(absl::string_view text) {
  const size_t slash = text.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("malformed prefix \"", text, "\": no /length"));
  }
  auto address = IpAddress::Parse(text.substr(0, slash));
  if (!address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed prefix \"", text, "\": bad address"));
  }
  uint32_t length = 0;
  const uint32_t max_length = address->is_v4() ? 32 : 128;
  const absl::string_view digits = text.substr(slash + 1);
  const bool all_digits = !digits.empty() && digits.size() <= 3 &&
                          std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!all_digits || !absl::SimpleAtoi(digits, &length) || length > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed prefix \"", text, "\": length must be 0..", max_length));
  }
  IpPrefix p{*address, static_cast<uint8_t>(length)};
  // Host bits set usually mean a typo (10.244.1.0/8); refuse rather than guess.
  for (uint32_t i = 0; i < 16; ++i) {
    const uint32_t first_bit = i * 8;
    uint8_t keep = 0xff;
    if (first_bit >= length) {
      keep = 0;
    } else if (first_bit + 8 > length) {
      keep = static_cast<uint8_t>(0xff << (8 - (length - first_bit)));
    }
    if ((p.address.bytes()[i] & ~keep) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("prefix \"", text, "\" has host bits set beyond /", length));
    }
  }
  return p;
}

bool IpPrefix::Contains(const IpAddress& a) const {
  if (a.family() != address.family()) return false;
  const auto& x = a.bytes();
  const auto& y = address.bytes();
  uint32_t full = length / 8;
  if (std::memcmp(x.data(), y.data(), full) != 0) return false;
  const uint32_t rest = length % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (x[full] & mask) == (y[full] & mask);
}

std::string IpPrefix::ToString() const { return absl::StrCat(address.ToString(), "/", length); }

}  // namespace causeway::net
