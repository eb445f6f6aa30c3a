#include "controlplane/server/reaper.h"

#include <sys/resource.h>
#include <unistd.h>

namespace causeway::server {

Reaper::Reaper() : thread_([this] { Loop(); }) {}

Reaper::~Reaper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Reaper::Discard(Garbage garbage) {
  {
    absl::MutexLock lock(&mu_);
    if (pending_.size() < kMaxBacklog) {
      pending_.push_back(std::move(garbage));
      return;
    }
  }
  garbage.clear();  // the reaper is starved: free it here rather than pile it up
}

size_t Reaper::Backlog() const {
  absl::MutexLock lock(&mu_);
  return pending_.size();
}

void Reaper::Loop() {
  // Lowering one's own priority needs no privilege; if it fails, freeing just competes as before.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
  absl::MutexLock lock(&mu_);
  while (true) {
    auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !pending_.empty(); };
    mu_.Await(absl::Condition(&work));
    if (pending_.empty()) return;  // stopping, and nothing left
    std::vector<Garbage> batch = std::move(pending_);
    pending_.clear();
    mu_.Unlock();
    batch.clear();
    mu_.Lock();
  }
}

}  // namespace causeway::server
