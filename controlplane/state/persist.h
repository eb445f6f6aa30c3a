// The last accepted state on disk, written atomically (temp file, fsync, rename, fsync of the
// directory): a crash leaves either the old file or the new one, never a mix.
#ifndef CAUSEWAY_CONTROLPLANE_STATE_PERSIST_H_
#define CAUSEWAY_CONTROLPLANE_STATE_PERSIST_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "causeway/v1/config.pb.h"

namespace causeway::state {

inline constexpr char kStateFile[] = "state.pb";

// `dir`/state.pb: a binary causeway.v1.SavedState.
absl::Status SaveState(const std::string& dir, const v1::SavedState& saved);

// nullopt when there is no saved state yet; an error when there is one that cannot be read.
absl::StatusOr<std::optional<v1::SavedState>> LoadState(const std::string& dir);

}  // namespace causeway::state

#endif  // CAUSEWAY_CONTROLPLANE_STATE_PERSIST_H_
