// The worker the outbox crash test kills: it enqueues, claims and settles in a tight loop, as the
// bridge would, until it is killed. Each run first rescues what a killed predecessor left in flight.
// Events are numbered: sequence N has eventId ...N and transport N % 37, so the test can check
// exactly which events must exist. It dies by SIGKILL from the test, or by its own hand just
// before its Nth write to the database (tests/crash/dying_vfs.hpp).
#include <cstdio>
#include <random>
#include <string>

#include "bridge/outbox/outbox.hpp"
#include "tests/crash/dying_vfs.hpp"

using namespace ato;
using namespace ato::bridge;

namespace {
// The tenant every event of this file belongs to (schema/outbox/009).
const std::string kTenant = "default";

std::string uuid_for(std::int64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llx", static_cast<unsigned long long>(n));
  return buf;
}

NewEvent numbered_event(std::int64_t sequence) {
  return NewEvent{uuid_for(sequence), Service::Export,
                  sequence,           "S4DK9" + std::to_string(10000 + sequence % 37),
                  "S4D~080",          std::string(600, 'p')};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s OUTBOX_PATH SEED WRITES_BEFORE_DEATH (0: wait to be killed)\n", argv[0]);
    return 2;
  }
  // Opening and recovery happen before the countdown starts: the crash lands in the work loop.
  ato::test::install_dying_vfs();
  OutboxOptions options;
  options.path = argv[1];
  options.window_capacity = 64;  // far below the backlog: the claim window evicts and loads all the time
  Outbox outbox(options);
  std::mt19937_64 rng(std::stoull(argv[2]));
  RetryPolicy policy;
  policy.base = std::chrono::milliseconds(1);  // retries come due at once: more transitions per second
  policy.cap = std::chrono::milliseconds(5);
  policy.max_attempts = 5;
  outbox.rescue_all_in_flight(now_epoch_millis(), policy);
  std::int64_t cursor = outbox.cursor(kTenant, Service::Export).value_or(0);
  std::fprintf(stdout, "started at cursor %lld\n", static_cast<long long>(cursor));
  std::fflush(stdout);
  ato::test::die_before_write(std::stol(argv[3]));

  for (;;) {
    const EpochMillis now = now_epoch_millis();
    std::vector<NewEvent> batch;
    // Mostly a few events, sometimes more than a chunk (bridge/outbox/queries.hpp stores 50 per statement).
    const int size = rng() % 8 == 0 ? 50 + static_cast<int>(rng() % 80) : 1 + static_cast<int>(rng() % 20);
    for (int i = 1; i <= size; ++i) batch.push_back(numbered_event(cursor + i));
    if (cursor > 0 && rng() % 4 == 0)
      batch.push_back(numbered_event(1 + static_cast<std::int64_t>(rng() % cursor)));
    outbox.enqueue(kTenant, Service::Export, batch, cursor + size, now);
    cursor += size;

    ClaimRequest request;
    request.service = Service::Export;
    request.from = rng() % 3 == 0 ? ClaimFrom::Retryable : ClaimFrom::Pending;
    request.max_events = 1 + static_cast<int>(rng() % 50);
    request.now = now;
    request.lease = std::chrono::milliseconds(50);
    const auto package = outbox.claim(request);
    if (rng() % 10 == 0) continue;  // leave this package in flight, as a hung pusher would
    std::vector<Settlement> settlements;
    for (const auto& e : package.events) {
      const auto roll = rng() % 100;
      if (roll < 60)
        settlements.push_back(Settlement::done(e.id));
      else if (roll < 85)
        settlements.push_back(Settlement::retry(e.id, 503, "Service Unavailable"));
      else if (roll < 90)
        settlements.push_back(Settlement::dead(e.id, 400, "Bad Request"));
      else
        settlements.push_back(Settlement::release(e.id));
    }
    if (settlements.size() > 1 && rng() % 4 == 0) {  // in two parts, as after a 413 split
      const auto half = settlements.begin() + static_cast<std::ptrdiff_t>(settlements.size() / 2);
      outbox.settle(package.lease_token, {settlements.begin(), half}, now, policy);
      outbox.settle(package.lease_token, {half, settlements.end()}, now, policy);
    } else {
      outbox.settle(package.lease_token, settlements, now, policy);
    }
    if (rng() % 16 == 0) outbox.rescue_expired(now, policy);
  }
}
