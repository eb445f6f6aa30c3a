#include "controlplane/health/rise_fall.h"

namespace causeway::health {

bool RiseFall::Record(bool success) {
  if (success) {
    failures_ = 0;
    ++successes_;
    if (!healthy_ && successes_ >= rise_) return healthy_ = true;
  } else {
    successes_ = 0;
    ++failures_;
    if (healthy_ && failures_ >= fall_) {
      healthy_ = false;
      return true;
    }
  }
  return false;
}

}  // namespace causeway::health
