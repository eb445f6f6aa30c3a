// The side thread runs each job it is given on one thread that outlives the jobs, and Wait sees
// everything the job did.
#include "controlplane/server/side_thread.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace causeway::server {
namespace {

TEST(SideThread, RunsEveryJobOnOneThreadOfItsOwnAndWaitSeesTheirEffects) {
  SideThread side;
  std::vector<std::thread::id> ran_on;
  int total = 0;
  for (int i = 1; i <= 1000; ++i) {
    side.Start([&, i] {
      ran_on.push_back(std::this_thread::get_id());
      total += i;  // written by the side thread, read below after Wait without a lock of ours
    });
    side.Wait();
    ASSERT_EQ(total, i * (i + 1) / 2);
  }
  ASSERT_EQ(ran_on.size(), 1000u);
  EXPECT_NE(ran_on.front(), std::this_thread::get_id());
  for (const std::thread::id& id : ran_on) EXPECT_EQ(id, ran_on.front());  // kept, not one per job
}

TEST(SideThread, RunsBesideTheCaller) {
  SideThread side;
  std::atomic<bool> release{false}, started{false}, released{false};
  side.Start([&] {
    started = true;
    // Waits for the caller, which can only let it go if Start returned while the job ran.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!release && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    released = release.load();
  });
  // The caller goes on while the job runs (a round compiles while its state is written).
  while (!started) std::this_thread::yield();
  release = true;
  side.Wait();
  EXPECT_TRUE(released);
}

TEST(SideThread, ASecondStartWaitsForTheFirstJobInsteadOfReplacingIt) {
  SideThread side;
  std::vector<int> ran;  // written by the side thread only
  side.Start([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ran.push_back(1);
  });
  side.Start([&] { ran.push_back(2); });
  side.Wait();
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
}

TEST(SideThread, WaitWithoutAJobReturnsAtOnce) {
  SideThread side;
  side.Wait();
  side.Wait();
  SUCCEED();
}

TEST(SideThread, DestroyingItWaitsForTheJobStillRunning) {
  std::atomic<bool> done{false};
  {
    SideThread side;
    side.Start([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      done = true;
    });
  }
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace causeway::server
