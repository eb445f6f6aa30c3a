#include "dataplane/snapshot_file.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace causeway::dataplane {
namespace {

absl::Status LineError(int line, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("snapshot file line ", line, ": ", why));
}

void FillRoundRobin(snapshot::CompiledService& s) {
  s.tables.assign(1, {});
  if (!s.backends.empty()) {
    for (uint32_t i = 0; i < kSnapshotFileTableSize; ++i) {
      s.tables[0].slots.push_back(static_cast<uint16_t>(i % s.backends.size()));
    }
  }
  s.zone_table = {0};
}

}  // namespace

absl::StatusOr<snapshot::CompiledSnapshot> ParseSnapshotFile(const std::string& text) {
  snapshot::CompiledSnapshot snap;
  snap.zones = {"default"};
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    std::istringstream in(line);
    std::string word;
    if (!(in >> word)) continue;
    auto address = [&](std::string& out) -> absl::StatusOr<net::IpAddress> {
      if (!(in >> out)) return LineError(number, "address expected");
      auto a = net::IpAddress::Parse(out);
      if (!a.ok()) return LineError(number, std::string(a.status().message()));
      return *a;
    };
    std::string token;
    if (word == "version") {
      in >> snap.version;
    } else if (word == "gateway") {
      auto a = address(token);
      if (!a.ok()) return a.status();
      snap.gateway.addresses.push_back(*a);
    } else if (word == "mtu") {
      in >> snap.gateway.mtu;
    } else if (word == "gue_port") {
      in >> snap.gateway.gue_port;
    } else if (word == "flow_key") {
      in >> std::hex >> snap.gateway.flow_hash_key[0] >> snap.gateway.flow_hash_key[1] >> std::dec;
    } else if (word == "service") {
      snapshot::CompiledService s;
      std::string forwarding;
      if (!(in >> s.id >> forwarding)) return LineError(number, "service <id> <ipip|gue>");
      if (forwarding == "gue") {
        s.forwarding = snapshot::Forwarding::kGue;
      } else if (forwarding != "ipip") {
        return LineError(number, "forwarding must be ipip or gue");
      }
      s.name = absl::StrCat("file/service-", s.id);
      snap.services.push_back(std::move(s));
    } else if (word == "frontend" || word == "backend") {
      if (snap.services.empty()) return LineError(number, "before any service");
      auto& s = snap.services.back();
      if (word == "frontend") {
        snapshot::Frontend f;
        auto a = address(token);
        if (!a.ok()) return a.status();
        f.vip = *a;
        std::string proto;
        if (!(in >> f.port >> proto) || (proto != "tcp" && proto != "udp")) {
          return LineError(number, "frontend <vip> <port> <tcp|udp>");
        }
        f.protocol = proto == "tcp" ? snapshot::Protocol::kTcp : snapshot::Protocol::kUdp;
        s.frontends.push_back(f);
      } else {
        snapshot::Backend b;
        if (!(in >> b.id)) return LineError(number, "backend <id> <address> [next hop]");
        auto a = address(token);
        if (!a.ok()) return a.status();
        b.address = *a;
        b.next_hop = b.address;
        if (in >> token) {
          auto hop = net::IpAddress::Parse(token);
          if (!hop.ok()) return LineError(number, "bad next hop");
          b.next_hop = *hop;
        }
        s.backends.push_back(b);
      }
    } else {
      return LineError(number, "unknown keyword " + word);
    }
    if (in.fail() && !in.eof()) return LineError(number, "bad value");
  }
  for (auto& s : snap.services) FillRoundRobin(s);
  return snap;
}

absl::StatusOr<snapshot::CompiledSnapshot> LoadSnapshotFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  return ParseSnapshotFile(text.str());
}

}  // namespace causeway::dataplane
