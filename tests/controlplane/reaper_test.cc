// The reaper frees what it is given, off the caller's thread, and everything before it is gone.
#include "controlplane/server/reaper.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "gtest/gtest.h"

namespace causeway::server {
namespace {

bool ExpiresWithin(const std::weak_ptr<int>& w, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!w.expired() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return w.expired();
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
  // The last reference goes on the reaper's thread: a deleter records where it ran.
  Reaper reaper;
  std::atomic<bool> freed{false};
  std::thread::id freed_on;
  {
    std::shared_ptr<int> p(new int(1), [&](int* i) {
      freed_on = std::this_thread::get_id();
      delete i;
      freed = true;
    });
    reaper.Discard({std::move(p)});
  }
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!freed && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(freed);
  EXPECT_NE(freed_on, std::this_thread::get_id());
}

TEST(Reaper, DestructionFreesEverythingPending) {
  std::weak_ptr<int> w[100];
  {
    Reaper reaper;
    for (auto& weak : w) {
      auto p = std::make_shared<int>(2);
      weak = p;
      reaper.Discard({std::move(p)});
    }
  }
  for (const auto& weak : w) EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace causeway::server
