// IPv4 and IPv6 addresses as values: parsed once, compared and hashed by their bytes.
#ifndef CAUSEWAY_CONTROLPLANE_NET_IP_ADDRESS_H_
#define CAUSEWAY_CONTROLPLANE_NET_IP_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace causeway::net {

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

// An IPv4 address is kept in the first 4 bytes, the rest zero, so that two addresses compare equal
// exactly when their family and bytes are equal.
class IpAddress {
 public:
  IpAddress() = default;

  // Accepts dotted-quad IPv4 and RFC 4291 IPv6 text. IPv4-mapped IPv6 stays IPv6: the two are
  // different endpoints to a load balancer.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);
  // Whether `text` is an IPv4 address exactly as ToString() writes it (dotted quad, no leading
  // zeros): then it is its own normal form, with nothing to parse and write again.
  static bool IsCanonicalV4(absl::string_view text);
  static IpAddress V4(uint32_t host_order);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  // Host-order value of an IPv4 address; 0 for IPv6.
  uint32_t v4() const;
  std::string ToString() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  Family family_ = Family::kV4;
  std::array<uint8_t, 16> bytes_{};
};

// A prefix such as 10.244.0.0/16 or fd00::/8. Host bits must be zero.
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;

  static absl::StatusOr<IpPrefix> Parse(absl::string_view text);
  bool Contains(const IpAddress& a) const;
  std::string ToString() const;
  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;
  friend bool operator==(const IpPrefix&, const IpPrefix&) = default;
};

}  // namespace causeway::net

#endif  // CAUSEWAY_CONTROLPLANE_NET_IP_ADDRESS_H_
