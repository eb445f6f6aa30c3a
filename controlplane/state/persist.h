// The last accepted state on disk, in two slot files written in turn (state-a.slot, state-b.slot):
// each save overwrites the slot that does not hold the newest state, in place, and is durable once
// one fdatasync returns. A slot is a header (magic, checksum, version, length) and a binary
// causeway.v1.SavedState; loading takes the valid slot with the highest version, so a crash in the
// middle of a save (a torn slot: its checksum fails) leaves the previous state, never a mix. A slot
// is created whole (its first record through a temporary file, synced and renamed): a slot file
// that exists once held a complete state, so one that no longer reads is damage, never a cut-short
// first save. The versions only grow within a process; across an older binary that wrote state.pb
// after the slots existed (a downgrade and upgrade again), the slots win.
//
// Why not a temp file, fsync, rename and an fsync of the directory: that is two journal commits on
// ext4 (the new file's metadata, then the rename), each a device flush, and every push waits for
// them. Overwriting blocks that are already allocated and written changes no metadata that
// fdatasync must flush: one data write and one flush. The slots grow (with a full fsync) only when
// the state outgrows them.
#ifndef CAUSEWAY_CONTROLPLANE_STATE_PERSIST_H_
#define CAUSEWAY_CONTROLPLANE_STATE_PERSIST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "causeway/v1/config.pb.h"
#include "controlplane/state/model.h"

namespace causeway::state {

inline constexpr char kSlotFiles[2][13] = {"state-a.slot", "state-b.slot"};
// Written by earlier versions (temp file and rename); read when there is no slot yet, and removed
// once the state is in a slot.
inline constexpr char kLegacyStateFile[] = "state.pb";

class StateFiles {
 public:
  explicit StateFiles(std::string dir) : dir_(std::move(dir)) {}
  ~StateFiles();
  StateFiles(const StateFiles&) = delete;
  StateFiles& operator=(const StateFiles&) = delete;

  // nullopt when nothing was saved yet; DATA_LOSS when a slot exists but none reads and there is no
  // legacy file to fall back on. Reads only (a read-only directory restores). Save() calls it when
  // it was not called.
  absl::StatusOr<std::optional<v1::SavedState>> Load();
  // Durable when it returns OK. One caller at a time.
  absl::Status Save(const v1::SavedState& saved);
  // The same for a SavedState already serialized (SerializeSaved), of version `version`.
  absl::Status SaveSerialized(uint64_t version, const std::string& saved);

 private:
  struct Slot {
    int fd = -1;
    uint64_t capacity = 0;  // bytes allocated and written (zeros past the record)
  };
  absl::Status Open(int index);  // an existing slot, for writing
  // A new slot holding the record `header` then `payload`.
  absl::Status Create(int index, std::string_view header, std::string_view payload);
  absl::Status Saved(int index);  // bookkeeping after a durable save

  const std::string dir_;
  Slot slots_[2];
  int newest_ = -1;  // the slot holding the newest state, -1: none
  bool loaded_ = false;
  bool legacy_present_ = false;
};

// `head` (version, source versions, fencing) with `m` as its state, serialized: it parses as head
// with state = m.ToState(), but no message of the model is copied into a State first (for a big
// service, thousands of endpoint messages per save).
std::string SerializeSaved(const v1::SavedState& head, const Model& m);

// A directory's saved state, read once (tools and tests).
absl::StatusOr<std::optional<v1::SavedState>> LoadState(const std::string& dir);

}  // namespace causeway::state

#endif  // CAUSEWAY_CONTROLPLANE_STATE_PERSIST_H_
