#include "controlplane/state/persist.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <string_view>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace causeway::state {
namespace {

// A slot's header: magic, then XXH3-64 of everything after it (version, length, payload), then the
// version and the payload's length; all little-endian (x86).
constexpr char kMagic[8] = {'C', 'W', 'S', 'T', 'A', 'T', 'E', '1'};
constexpr size_t kHeader = 32;
// Slots grow to twice what the state needs, in steps of this.
constexpr uint64_t kGrain = 64 * 1024;
uint64_t SlotCapacity(uint64_t record_bytes) { return (2 * record_bytes + kGrain - 1) / kGrain * kGrain; }

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Writes `parts` one after the other from `offset`, from where they are (one pwritev, more only
// when the kernel takes less): a record's header and payload need not be copied into one buffer.
absl::Status WriteAllAt(int fd, std::initializer_list<std::string_view> parts, uint64_t offset,
                        const std::string& path) {
  absl::InlinedVector<iovec, 3> iov;
  for (std::string_view part : parts) {
    if (!part.empty()) iov.push_back({.iov_base = const_cast<char*>(part.data()), .iov_len = part.size()});
  }
  size_t first = 0;
  while (first < iov.size()) {
    const ssize_t n =
        ::pwritev(fd, iov.data() + first, static_cast<int>(iov.size() - first), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("write " + path);
    }
    offset += static_cast<uint64_t>(n);
    // Skip what was written: whole parts, then the start of a part written in part.
    for (size_t left = static_cast<size_t>(n); left > 0;) {
      const size_t taken = std::min(left, iov[first].iov_len);
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + taken;
      iov[first].iov_len -= taken;
      left -= taken;
      if (iov[first].iov_len == 0) ++first;
    }
  }
  return absl::OkStatus();
}

// The header of a record holding `payload` at `version`. The checksum is streamed over the header's
// version and length, then the payload where it lies: the same value Decode computes over them in
// one buffer.
std::array<char, kHeader> Header(uint64_t version, std::string_view payload) {
  std::array<char, kHeader> header{};
  const uint64_t length = payload.size();
  std::memcpy(header.data(), kMagic, sizeof kMagic);
  std::memcpy(header.data() + 16, &version, sizeof version);
  std::memcpy(header.data() + 24, &length, sizeof length);
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, header.data() + 16, 16);
  XXH3_64bits_update(&state, payload.data(), payload.size());
  const uint64_t checksum = XXH3_64bits_digest(&state);
  std::memcpy(header.data() + 8, &checksum, sizeof checksum);
  return header;
}

uint64_t Word(const std::string& bytes, size_t at) {
  uint64_t v = 0;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

// What a slot file holds: nothing yet (missing, or only zeros), a valid record, or something else
// (a torn save, or damage).
struct Record {
  enum Kind { kEmpty, kValid, kUnreadable } kind = kEmpty;
  uint64_t version = 0;
  std::string payload;
};

Record Decode(const std::string& bytes) {
  Record r;
  if (std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; })) return r;
  r.kind = Record::kUnreadable;
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return r;
  const uint64_t length = Word(bytes, 24);
  if (length > bytes.size() - kHeader) return r;
  if (XXH3_64bits(bytes.data() + 16, 16 + length) != Word(bytes, 8)) return r;
  r.kind = Record::kValid;
  r.version = Word(bytes, 16);
  r.payload.assign(bytes, kHeader, length);
  return r;
}

absl::StatusOr<std::string> ReadAll(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Errno("stat " + path);
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("read " + path);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace

StateFiles::~StateFiles() {
  for (Slot& s : slots_) {
    if (s.fd >= 0) ::close(s.fd);
  }
}

absl::Status StateFiles::Open(int index) {
  Slot& slot = slots_[index];
  if (slot.fd >= 0) return absl::OkStatus();
  const std::string path = absl::StrCat(dir_, "/", kSlotFiles[index]);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("open " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Errno("stat " + path);
  }
  slot.fd = fd;
  slot.capacity = static_cast<uint64_t>(st.st_size);
  return absl::OkStatus();
}

absl::Status StateFiles::Create(int index, std::string_view header, std::string_view payload) {
  // Whole or not at all: the first record goes to a temporary file that is synced and renamed, and
  // the directory synced. So a slot file that exists once held a complete state, and one that no
  // longer reads is damage (DATA_LOSS), never a first save cut short by a crash.
  const std::string path = absl::StrCat(dir_, "/", kSlotFiles[index]);
  const std::string temp = path + ".tmp";
  const int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create " + temp);
  // Room for the state to grow before the slot must (zeros written, not just allocated, so that
  // later saves overwrite initialised blocks and fdatasync has no metadata to flush).
  const uint64_t record_bytes = header.size() + payload.size();
  const uint64_t capacity = SlotCapacity(record_bytes);
  const std::string zeros(capacity - record_bytes, '\0');
  absl::Status s = WriteAllAt(fd, {header, payload, zeros}, 0, temp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync " + temp);
  if (s.ok() && ::rename(temp.c_str(), path.c_str()) != 0) s = Errno("rename " + temp);
  if (s.ok()) {
    const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
      s = Errno("open " + dir_);
    } else {
      if (::fsync(dir_fd) != 0) s = Errno("fsync " + dir_);
      ::close(dir_fd);
    }
  }
  if (!s.ok()) {
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  }
  slots_[index].fd = fd;  // the same file, now under the slot's name
  slots_[index].capacity = capacity;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::SavedState>> StateFiles::Load() {
  loaded_ = true;
  // Read-only: a state directory one may not write to still restores (pushes then fail).
  Record records[2];  // a missing slot stays kEmpty, as one holding only zeros
  for (int i = 0; i < 2; ++i) {
    const std::string path = absl::StrCat(dir_, "/", kSlotFiles[i]);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) continue;
      return Errno("open " + path);
    }
    absl::StatusOr<std::string> bytes = ReadAll(fd, path);
    ::close(fd);
    if (!bytes.ok()) return bytes.status();
    records[i] = Decode(*bytes);
  }
  const std::string legacy = absl::StrCat(dir_, "/", kLegacyStateFile);
  const bool legacy_exists = ::access(legacy.c_str(), F_OK) == 0;
  if (!legacy_exists && errno != ENOENT) return Errno("access " + legacy);
  // The newest valid slot that parses; a valid slot wins over the legacy file, which the next save
  // removes (it may have outlived a crash between the first slot save and its removal).
  int order[2] = {0, 1};
  if (records[1].kind == Record::kValid &&
      (records[0].kind != Record::kValid || records[1].version > records[0].version)) {
    order[0] = 1;
    order[1] = 0;
  }
  for (int i : order) {
    if (records[i].kind != Record::kValid) continue;
    v1::SavedState saved;
    if (!saved.ParseFromString(records[i].payload)) continue;
    newest_ = i;
    legacy_present_ = legacy_exists;
    return std::optional<v1::SavedState>(std::move(saved));
  }
  if (legacy_exists) {
    // Written by an earlier version; no slot holds a state yet.
    legacy_present_ = true;
    std::ifstream in(legacy, std::ios::binary);
    if (!in) return absl::InternalError(absl::StrCat("cannot read ", legacy));
    v1::SavedState saved;
    if (!saved.ParseFromIstream(&in)) return absl::DataLossError(absl::StrCat(legacy, ": not a saved state"));
    return std::optional<v1::SavedState>(std::move(saved));
  }
  // Missing or only zeros, both: nothing was saved yet. Otherwise a slot holds something that does
  // not read.
  if (records[0].kind != Record::kEmpty || records[1].kind != Record::kEmpty) {
    return absl::DataLossError(
        absl::StrCat("no readable saved state in ", dir_, "/", kSlotFiles[0], " or ", kSlotFiles[1]));
  }
  return std::optional<v1::SavedState>();
}

absl::Status StateFiles::Save(const v1::SavedState& saved) {
  // Binary protobuf: ~10x faster to write than JSON, and every push waits for this write.
  // `causewayctl` prints the same state as YAML or JSON for people.
  std::string bytes;
  if (!saved.SerializeToString(&bytes)) return absl::InternalError("encoding state");
  return SaveSerialized(saved.version(), bytes);
}

absl::Status StateFiles::SaveSerialized(uint64_t version, const std::string& saved) {
  // Which slot holds the newest state decides which one may be overwritten.
  if (!loaded_) {
    if (absl::StatusOr<std::optional<v1::SavedState>> l = Load(); !l.ok()) return l.status();
  }
  const int target = newest_ == 0 ? 1 : 0;
  Slot& slot = slots_[target];
  const std::string path = absl::StrCat(dir_, "/", kSlotFiles[target]);

  // The record goes out as the header and `saved` where it lies: no buffer holds a copy of both.
  const std::array<char, kHeader> header = Header(version, saved);
  const std::string_view header_bytes(header.data(), header.size());
  const uint64_t record_bytes = header.size() + saved.size();

  if (slot.fd < 0) {
    const bool exists = ::access(path.c_str(), F_OK) == 0;
    if (!exists && errno != ENOENT) return Errno("access " + path);
    if (!exists) {
      if (absl::Status s = Create(target, header_bytes, saved); !s.ok()) return s;
      return Saved(target);
    }
    if (absl::Status s = Open(target); !s.ok()) return s;
  }

  // Growing allocates blocks and changes the size: metadata, so a full fsync this once. Zeros are
  // written (not just allocated) so that later saves overwrite initialised blocks.
  bool grew = false;
  if (slot.capacity < record_bytes) {
    const uint64_t capacity = SlotCapacity(record_bytes);
    const std::string zeros(capacity - slot.capacity, '\0');
    if (absl::Status s = WriteAllAt(slot.fd, {zeros}, slot.capacity, path); !s.ok()) return s;
    slot.capacity = capacity;
    grew = true;
  }
  if (absl::Status s = WriteAllAt(slot.fd, {header_bytes, saved}, 0, path); !s.ok()) return s;
  if ((grew ? ::fsync(slot.fd) : ::fdatasync(slot.fd)) != 0) return Errno("fsync " + path);
  return Saved(target);
}

absl::Status StateFiles::Saved(int index) {
  newest_ = index;
  if (legacy_present_) {
    // The slots win over it from now on; removing it only keeps people from reading a stale file.
    ::unlink(absl::StrCat(dir_, "/", kLegacyStateFile).c_str());
    legacy_present_ = false;
  }
  return absl::OkStatus();
}

std::string SerializeSaved(const v1::SavedState& head, const Model& m) {
  using google::protobuf::internal::WireFormatLite;
  using google::protobuf::io::CodedOutputStream;
  // State's fields in number order, as its own serialization writes them.
  auto for_each_field = [&m](auto&& visit) {
    if (m.has_gateway) visit(v1::State::kGatewayFieldNumber, m.gateway);
    for (const auto& [name, c] : m.clusters) visit(v1::State::kClustersFieldNumber, c);
    for (const auto& [key, entry] : m.services) visit(v1::State::kServicesFieldNumber, entry->service);
    for (const auto& [key, entry] : m.services) {
      for (const auto& [id, e] : entry->endpoints) visit(v1::State::kEndpointsFieldNumber, *e);
    }
  };
  // The state's length first (which also caches every message's size), so that the record is
  // written once, straight into its string.
  size_t state_size = 0;
  for_each_field([&state_size](int field, const google::protobuf::MessageLite& message) {
    const size_t size = message.ByteSizeLong();
    const uint32_t tag = WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    state_size += CodedOutputStream::VarintSize32(tag) +
                  CodedOutputStream::VarintSize32(static_cast<uint32_t>(size)) + size;
  });
  std::string bytes = head.SerializeAsString();
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    CodedOutputStream out(&stream);
    out.WriteTag(WireFormatLite::MakeTag(v1::SavedState::kStateFieldNumber, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    out.WriteVarint32(static_cast<uint32_t>(state_size));
    for_each_field([&out](int field, const google::protobuf::MessageLite& message) {
      out.WriteTag(WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
      out.WriteVarint32(static_cast<uint32_t>(message.GetCachedSize()));
      message.SerializeWithCachedSizes(&out);
    });
  }
  return bytes;
}

absl::StatusOr<std::optional<v1::SavedState>> LoadState(const std::string& dir) { return StateFiles(dir).Load(); }

}  // namespace causeway::state
