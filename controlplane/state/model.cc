#include "controlplane/state/model.h"

#include "absl/strings/str_cat.h"
#include "controlplane/net/ip_address.h"

namespace causeway::state {
namespace {

// "10.0.0.1" and "10.000.0.1"-like spellings, or "fd00::1" and "fd00:0::1", are one address.
std::string NormalAddress(const std::string& text) {
  if (net::IpAddress::IsCanonicalV4(text)) return text;  // nearly every address: already normal
  absl::StatusOr<net::IpAddress> a = net::IpAddress::Parse(text);
  return a.ok() ? a->ToString() : text;
}

}  // namespace

size_t Model::EndpointCount() const {
  size_t n = 0;
  for (const auto& [key, entry] : services) n += entry->endpoints.size();
  return n;
}

ServiceEntry& Model::MutableService(const std::string& key) {
  std::shared_ptr<const ServiceEntry>& slot = services[key];
  auto copy = slot ? std::make_shared<ServiceEntry>(*slot) : std::make_shared<ServiceEntry>();
  ServiceEntry& ref = *copy;
  slot = std::move(copy);
  return ref;
}

v1::State Model::ToState() const {
  v1::State s;
  if (has_gateway) *s.mutable_gateway() = gateway;
  for (const auto& [name, c] : clusters) *s.add_clusters() = c;
  for (const auto& [key, entry] : services) {
    *s.add_services() = entry->service;
    for (const auto& [id, e] : entry->endpoints) *s.add_endpoints() = *e;
  }
  return s;
}

std::string ServiceKey(const v1::Service& s) { return absl::StrCat(s.namespace_(), "/", s.name()); }

EndpointId IdOf(const v1::Endpoint& e) { return {e.cluster(), NormalAddress(e.address()), e.port()}; }

EndpointId IdOf(const v1::EndpointRef& r) { return {r.cluster(), NormalAddress(r.address()), r.port()}; }

}  // namespace causeway::state
