#include "controlplane/server/side_thread.h"

#include <utility>

namespace causeway::server {

SideThread::SideThread() : thread_([this] { Loop(); }) {}

SideThread::~SideThread() {
  Wait();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void SideThread::AwaitIdle() { mu_.Await(absl::Condition(+[](bool* busy) { return !*busy; }, &busy_)); }

void SideThread::Start(absl::AnyInvocable<void() &&> job) {
  absl::MutexLock lock(&mu_);
  AwaitIdle();  // one job at a time: a second Start never replaces a job that has not run
  job_ = std::move(job);
  busy_ = true;
}

void SideThread::Wait() {
  absl::MutexLock lock(&mu_);
  AwaitIdle();
}

void SideThread::Loop() {
  absl::MutexLock lock(&mu_);
  while (true) {
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || job_ != nullptr; };
    mu_.Await(absl::Condition(&ready));
    if (job_ == nullptr) return;  // stopping, and nothing left to run
    absl::AnyInvocable<void() &&> job = std::move(job_);
    job_ = nullptr;
    mu_.Unlock();
    std::move(job)();
    job = nullptr;  // what it holds goes before Wait returns, not after
    mu_.Lock();
    busy_ = false;
  }
}

}  // namespace causeway::server
