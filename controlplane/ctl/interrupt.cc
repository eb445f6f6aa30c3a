#include "controlplane/ctl/interrupt.h"

#include <pthread.h>

#include <ctime>

namespace causeway::ctl {

InterruptHandler::InterruptHandler() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals_, &previous_mask_);
  waiter_ = std::thread([this] { Wait(); });
}

InterruptHandler::~InterruptHandler() {
  done_.store(true);
  waiter_.join();
  pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
}

void InterruptHandler::OnInterrupt(std::function<void()> f) {
  absl::MutexLock lock(&mu_);
  on_interrupt_ = std::move(f);
  if (on_interrupt_ && interrupted_.load()) on_interrupt_();
}

void InterruptHandler::Wait() {
  // A timed wait, so that the destructor's `done_` is seen without sending ourselves a signal.
  const timespec tick = {0, 100 * 1000 * 1000};
  while (!done_.load()) {
    if (sigtimedwait(&signals_, nullptr, &tick) < 0) continue;  // timeout or EINTR
    interrupted_.store(true);
    absl::MutexLock lock(&mu_);
    if (on_interrupt_) on_interrupt_();
  }
}

}  // namespace causeway::ctl
