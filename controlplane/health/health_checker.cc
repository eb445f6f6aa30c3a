#include "controlplane/health/health_checker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace causeway::health {
namespace {

void Wake(int fd) {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(fd, &one, sizeof(one));
}

std::string Count(uint32_t n, const char* one, const char* many) { return absl::StrCat(n, " ", n == 1 ? one : many); }

}  // namespace

HealthChecker::HealthChecker(Listener listener)
    : listener_(std::move(listener)),
      epoll_fd_(epoll_create1(EPOLL_CLOEXEC)),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      thread_([this] { Loop(); }) {}

HealthChecker::~HealthChecker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake(wake_fd_);
  thread_.join();
  tracked_.clear();  // closes the sockets of running probes
  close(wake_fd_);
  close(epoll_fd_);
}

void HealthChecker::SetTargets(std::vector<Target> targets) {
  {
    absl::MutexLock lock(&mu_);
    pending_ = std::move(targets);
  }
  Wake(wake_fd_);
}

uint64_t HealthChecker::probes_started() const {
  absl::MutexLock lock(&mu_);
  return probes_started_;
}

void HealthChecker::Loop() {
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    std::fprintf(stderr, "causewayd: health checks off: epoll or eventfd failed\n");
    return;
  }
  epoll_event wake{.events = EPOLLIN, .data = {.u64 = 0}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  std::array<epoll_event, 256> events;
  while (true) {
    std::vector<VerdictChange> changes;
    std::optional<std::vector<Target>> targets;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      targets.swap(pending_);
    }
    Clock::time_point now = Clock::now();
    if (targets) Reconcile(*std::move(targets), now, changes);

    // Timeouts first (a probe that ran out of time is over before the next one starts), then starts.
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      const uint64_t id = deadlines_.begin()->second;
      Tracked& t = tracked_.at(id);
      t.probe->TimeOut(t.target.spec.timeout_ms);
      Finish(id, t, changes);
    }
    while (!schedule_.empty() && schedule_.begin()->first <= now) {
      const uint64_t id = schedule_.begin()->second;
      schedule_.erase(schedule_.begin());
      StartProbe(id, tracked_.at(id), now, changes);
    }
    for (const VerdictChange& c : changes) listener_(c);
    changes.clear();

    const int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), WaitMs(Clock::now()));
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == 0) {
        uint64_t drained;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &drained, sizeof(drained));
        continue;
      }
      auto it = tracked_.find(id);
      if (it == tracked_.end() || it->second.probe == nullptr) continue;
      Tracked& t = it->second;
      const uint32_t before = t.probe->events();
      t.probe->OnReady();
      if (t.probe->state() != Probe::State::kRunning) {
        Finish(id, t, changes);
      } else if (t.probe->events() != before) {
        epoll_event ev{.events = t.probe->events(), .data = {.u64 = id}};
        epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, t.probe->fd(), &ev);
      }
    }
    for (const VerdictChange& c : changes) listener_(c);
  }
}

int HealthChecker::WaitMs(Clock::time_point now) const {
  std::optional<Clock::time_point> next;
  if (!schedule_.empty()) next = schedule_.begin()->first;
  if (!deadlines_.empty()) next = next ? std::min(*next, deadlines_.begin()->first) : deadlines_.begin()->first;
  if (!next) return -1;  // until woken
  if (*next <= now) return 0;
  // Rounded up: waking a little late is fine, waking early spins.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*next - now).count());
}

void HealthChecker::Reconcile(std::vector<Target> targets, Clock::time_point now,
                              std::vector<VerdictChange>& changes) {
  std::map<TargetKey, Target> wanted;
  for (Target& t : targets) {
    TargetKey key = t.key;
    wanted.emplace(std::move(key), std::move(t));
  }
  for (auto it = ids_.begin(); it != ids_.end();) {
    Tracked& t = tracked_.at(it->second);
    auto w = wanted.find(it->first);
    const bool same = w != wanted.end() && w->second.address == t.target.address && w->second.port == t.target.port &&
                      w->second.spec == t.target.spec;
    if (same) {
      wanted.erase(w);
      ++it;
      continue;
    }
    if (!t.verdict.healthy()) {
      changes.push_back({t.target.key, true, "", absl::StrCat("health: ", ToString(t.target.key), " no longer checked")});
    }
    EndProbe(it->second, t);
    schedule_.erase({t.due, it->second});
    tracked_.erase(it->second);
    it = ids_.erase(it);
  }
  for (auto& [key, target] : wanted) {
    const uint64_t id = next_id_++;
    // The first probes of many new targets are spread over one interval rather than sent at once.
    const auto offset = std::chrono::milliseconds(absl::HashOf(ToString(key)) % target.spec.interval_ms);
    const RiseFall verdict(target.spec.rise, target.spec.fall);
    Tracked t{.target = std::move(target), .verdict = verdict, .probe = nullptr, .due = now + offset, .deadline = {}};
    schedule_.emplace(t.due, id);
    ids_.emplace(key, id);
    tracked_.emplace(id, std::move(t));
  }
}

void HealthChecker::StartProbe(uint64_t id, Tracked& t, Clock::time_point now, std::vector<VerdictChange>& changes) {
  // The next start, one interval after this one's (later if we fell behind).
  const auto interval = std::chrono::milliseconds(t.target.spec.interval_ms);
  t.due = std::max(t.due + interval, now + interval / 2);
  schedule_.emplace(t.due, id);
  if (t.probe != nullptr) return;  // the previous one still runs (timeout = interval): skip a turn
  {
    absl::MutexLock lock(&mu_);
    ++probes_started_;
  }
  t.probe = std::make_unique<Probe>(t.target);
  if (t.probe->state() != Probe::State::kRunning) {
    Finish(id, t, changes);
    return;
  }
  t.deadline = now + std::chrono::milliseconds(t.target.spec.timeout_ms);
  deadlines_.emplace(t.deadline, id);
  epoll_event ev{.events = t.probe->events(), .data = {.u64 = id}};
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, t.probe->fd(), &ev) != 0) {
    t.probe->TimeOut(0);  // cannot wait on it: count it as failed
    Finish(id, t, changes);
  }
}

void HealthChecker::Finish(uint64_t id, Tracked& t, std::vector<VerdictChange>& changes) {
  const bool success = t.probe->state() == Probe::State::kSucceeded;
  const std::string detail = t.probe->detail();
  EndProbe(id, t);
  if (!t.verdict.Record(success)) return;
  const std::string name = ToString(t.target.key);
  if (success) {
    changes.push_back({t.target.key, true, "",
                       absl::StrCat("health: ", name, " healthy (", Count(t.verdict.successes(), "success", "successes"), ")")});
  } else {
    changes.push_back({t.target.key, false, detail,
                       absl::StrCat("health: ", name, " unhealthy (", Count(t.verdict.failures(), "failure", "failures"),
                                    ": ", detail, ")")});
  }
}

void HealthChecker::EndProbe(uint64_t id, Tracked& t) {
  if (t.probe != nullptr) {
    if (t.probe->fd() >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, t.probe->fd(), nullptr);
    deadlines_.erase({t.deadline, id});
    t.probe.reset();
  }
}

}  // namespace causeway::health
