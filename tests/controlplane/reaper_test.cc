// The reaper frees what it is given, off the caller's thread, and everything before it is gone.
#include "controlplane/server/reaper.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "gtest/gtest.h"
#include "tests/controlplane/wait_for.h"

namespace causeway::server {
namespace {

using causeway::testing::WaitFor;

bool ExpiresWithin(const std::weak_ptr<int>& w, std::chrono::seconds limit) {
  return WaitFor([&] { return w.expired(); }, limit).has_value();
}

TEST(Reaper, FreesWhatItIsGiven) {
  Reaper reaper;
  auto p = std::make_shared<int>(1);
  std::weak_ptr<int> w = p;
  reaper.Discard({std::move(p)});
  EXPECT_TRUE(ExpiresWithin(w, std::chrono::seconds(10)));
  EXPECT_EQ(reaper.Backlog(), 0u);
}

TEST(Reaper, FreesOnAnotherThread) {
  // The last reference goes on the reaper's thread: a deleter records where it ran. (The locals it
  // writes are declared before the reaper, so they outlive it even when an assertion returns early.)
  std::atomic<bool> freed{false};
  std::thread::id freed_on;
  Reaper reaper;
  {
    std::shared_ptr<int> p(new int(1), [&](int* i) {
      freed_on = std::this_thread::get_id();
      delete i;
      freed = true;
    });
    reaper.Discard({std::move(p)});
  }
  WaitFor([&] { return freed.load(); });
  ASSERT_TRUE(freed);
  EXPECT_NE(freed_on, std::this_thread::get_id());
}

TEST(Reaper, DestructionFreesWhatIsPendingOnItsThread) {
  // Fewer batches than the backlog holds, so none is freed by Discard itself; each deleter says
  // which thread ran it. Whether the reaper frees them before or during its destruction, it is its
  // thread that does (fails when destruction leaves what is pending to this thread).
  absl::Mutex mu;
  std::vector<std::thread::id> freed_on;
  const std::thread::id here = std::this_thread::get_id();
  {
    Reaper reaper;
    for (size_t i = 0; i < Reaper::kMaxBacklog; ++i) {
      std::shared_ptr<int> p(new int(2), [&](int* v) {
        absl::MutexLock lock(&mu);
        freed_on.push_back(std::this_thread::get_id());
        delete v;
      });
      reaper.Discard({std::move(p)});
    }
  }
  absl::MutexLock lock(&mu);
  ASSERT_EQ(freed_on.size(), Reaper::kMaxBacklog);
  for (const std::thread::id& id : freed_on) EXPECT_NE(id, here);
}

}  // namespace
}  // namespace causeway::server
