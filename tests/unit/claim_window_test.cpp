// The claim window decides per-transport order in memory (bridge/outbox/claim_window.hpp). These
// tests walk it through every transition the outbox reports, and through loading and eviction.
#include "bridge/outbox/claim_window.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "bridge/outbox/outbox.hpp"

using namespace ato;
using namespace ato::bridge;

namespace {

constexpr std::int64_t kNoWatermark = kMaxSequence;

// Row ids are sequence * 10, so a mix-up of the two shows.
WindowEvent event(std::int64_t sequence, Service service, const std::string& transport,
                  const std::string& system = "S4D~080") {
  return WindowEvent{sequence * 10, sequence, service, transport, system, EventState::Pending, 100};
}

std::vector<std::int64_t> claimable(const ClaimWindow& w, Service service,
                                    EventState state = EventState::Pending, EpochMillis now = 1000,
                                    std::int64_t watermark = kNoWatermark,
                                    const std::vector<std::string>& excluded = {}) {
  return w.claimable(WindowQuery{service, state, now, watermark, &excluded, 100});
}

// A window that has loaded an empty outbox: everything stored from now on is in it.
ClaimWindow loaded_empty(std::size_t capacity = 100) {
  ClaimWindow w(capacity);
  w.finish_load(0, true);
  return w;
}

}  // namespace

TEST_CASE("only the first open event of a transport is claimable, whichever service polled first") {
  auto w = loaded_empty();
  w.stored(event(1, Service::Export, "T1"));
  w.stored(event(3, Service::Import, "T1"));
  w.stored(event(5, Service::Export, "T2"));
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{10, 50});
  CHECK(claimable(w, Service::Import).empty());  // waits for T1's export
  // A slower service's poll brings an earlier event of T1 and of T2: it waits, or it takes over.
  w.stored(event(2, Service::StatusChange, "T1"));
  w.stored(event(4, Service::StatusChange, "T2"));
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{10});
  CHECK(claimable(w, Service::StatusChange) == std::vector<std::int64_t>{40});
  // Settling (done or dead alike) hands the headship to the next open event of the transport.
  w.settled(10);
  CHECK(claimable(w, Service::StatusChange) == std::vector<std::int64_t>{20, 40});
  w.settled(20);
  CHECK(claimable(w, Service::Import) == std::vector<std::int64_t>{30});
  CHECK(claimable(w, Service::StatusChange) == std::vector<std::int64_t>{40});
  CHECK(claimable(w, Service::Export).empty());  // T2's export waits for its status change
}

TEST_CASE("an event in flight holds its transport, and comes back when released or failed") {
  auto w = loaded_empty();
  w.stored(event(1, Service::Export, "T1"));
  w.stored(event(2, Service::Import, "T1"));
  w.claimed(10);
  CHECK(claimable(w, Service::Export).empty());
  CHECK(claimable(w, Service::Import).empty());
  w.waiting(10, EventState::Pending, 100);  // released: no attempt spent
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{10});
  w.claimed(10);
  w.waiting(10, EventState::Retryable, 5000);  // failed: due later, for the retry job
  CHECK(claimable(w, Service::Export).empty());
  CHECK(claimable(w, Service::Export, EventState::Retryable, 4999).empty());
  CHECK(claimable(w, Service::Export, EventState::Retryable, 5000) == std::vector<std::int64_t>{10});
  CHECK(claimable(w, Service::Import).empty());  // still behind it
}

TEST_CASE("the watermark, paused systems and the package size limit a claim") {
  auto w = loaded_empty();
  for (std::int64_t s = 1; s <= 6; ++s)
    w.stored(event(s, Service::Export, "T" + std::to_string(s), s % 2 ? "S4D~080" : "S4Q~100"));
  CHECK(claimable(w, Service::Export, EventState::Pending, 1000, 4) ==
        std::vector<std::int64_t>{10, 20, 30, 40});
  CHECK(claimable(w, Service::Export, EventState::Pending, 1000, kNoWatermark, {"S4Q~100"}) ==
        std::vector<std::int64_t>{10, 30, 50});
  std::vector<std::string> none;
  CHECK(w.claimable(WindowQuery{Service::Export, EventState::Pending, 1000, kNoWatermark, &none, 2}) ==
        std::vector<std::int64_t>{10, 20});
  CHECK(claimable(w, Service::Export, EventState::Pending, 99).empty());  // stored at 100: not due yet
}

TEST_CASE("over capacity the highest events leave the window, and a load brings them back") {
  auto w = loaded_empty(3);
  for (std::int64_t s = 1; s <= 5; ++s) w.stored(event(s, Service::Export, "T" + std::to_string(s)));
  CHECK(w.size() == 3);
  CHECK_FALSE(w.complete());
  CHECK(w.horizon() == 3);
  CHECK_FALSE(w.blocked(1000, kNoWatermark, {}));  // full, but its events can leave
  for (std::int64_t id : {10, 20, 30}) w.claimed(id);
  CHECK(w.blocked(1000, kNoWatermark, {}));  // full, none can leave, open events wait beyond it
  for (std::int64_t id : {10, 20, 30}) w.waiting(id, EventState::Pending, 100);
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{10, 20, 30});
  // Above the horizon a stored event stays in SQLite only; within it, it joins.
  w.stored(event(7, Service::Export, "T7"));
  CHECK(w.size() == 3);
  w.settled(10);
  w.settled(20);
  CHECK(w.wants_more());
  // The outbox loads the open events above the horizon (4, 5, 7), as many as there is room for.
  w.add_loaded(event(4, Service::Export, "T4"));
  w.add_loaded(event(5, Service::Export, "T5"));
  w.finish_load(5, false);
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{30, 40, 50});
  CHECK(w.horizon() == 5);
}

TEST_CASE("an earlier event stored into a full window pushes the highest one out, keeping the order") {
  auto w = loaded_empty(2);
  w.stored(event(5, Service::Import, "T1"));
  w.stored(event(6, Service::Export, "T2"));
  w.stored(event(4, Service::Export, "T1"));  // T1's export, polled late
  CHECK(w.size() == 2);
  CHECK(w.horizon() == 5);
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{40});
  CHECK(claimable(w, Service::Import).empty());
}

TEST_CASE("a cleared window knows nothing until it loads again") {
  auto w = loaded_empty();
  w.stored(event(1, Service::Export, "T1"));
  w.clear();
  CHECK_FALSE(w.loaded());
  CHECK(w.wants_more());
  w.stored(event(2, Service::Export, "T2"));  // SQLite has it; the load will bring it
  CHECK(w.size() == 0);
  CHECK(claimable(w, Service::Export).empty());
  w.add_loaded(event(1, Service::Export, "T1"));
  w.add_loaded(event(2, Service::Export, "T2"));
  w.finish_load(2, true);
  CHECK(claimable(w, Service::Export) == std::vector<std::int64_t>{10, 20});
}

TEST_CASE("the oldest stored event is the oldest in the window, whatever its sequence") {
  auto w = loaded_empty();
  CHECK_FALSE(w.oldest_enqueued_at().has_value());
  auto stored_at = [](WindowEvent e, EpochMillis at) {
    e.enqueued_at = at;
    return e;
  };
  w.stored(stored_at(event(2, Service::Import, "T1"), 500));
  w.stored(stored_at(event(1, Service::Export, "T1"), 700));  // an earlier sequence, stored later
  w.stored(stored_at(event(3, Service::Export, "T2"), 600));
  CHECK(w.oldest_enqueued_at() == 500);
  w.claimed(20);
  CHECK(w.oldest_enqueued_at() == 500);  // in flight is still waiting for Cloud ALM
  w.settled(20);
  CHECK(w.oldest_enqueued_at() == 600);
  w.settled(10);
  w.settled(30);
  CHECK_FALSE(w.oldest_enqueued_at().has_value());
}

namespace {

// The outbox's truth for the property test below: every open event, as SQLite would hold it.
struct Truth {
  std::map<std::int64_t, WindowEvent> open;  // by sequence

  // What the window should offer: each transport's first open event, at or below the horizon
  // (everything when the window is complete), in sequence order, through the query's filters.
  std::vector<std::int64_t> claimable(const ClaimWindow& w, const WindowQuery& q) const {
    std::vector<std::int64_t> ids;
    std::set<std::string> seen_transports;
    for (const auto& [sequence, e] : open) {
      const bool head = seen_transports.insert(e.transport_id).second;
      if (!w.complete() && sequence > w.horizon()) break;
      if (static_cast<int>(ids.size()) >= q.max_events || sequence > q.watermark) break;
      const bool excluded = std::find(q.excluded_systems->begin(), q.excluded_systems->end(),
                                      e.source_system) != q.excluded_systems->end();
      if (head && e.service == q.service && e.state == q.state && e.next_attempt_at <= q.now && !excluded)
        ids.push_back(e.id);
    }
    return ids;
  }
  std::optional<EpochMillis> oldest(const ClaimWindow& w) const {
    std::optional<EpochMillis> oldest;
    for (const auto& [sequence, e] : open)
      if ((w.complete() || sequence <= w.horizon()) && (!oldest || e.enqueued_at < *oldest))
        oldest = e.enqueued_at;
    return oldest;
  }
  // What the outbox does when the window wants more: the open events above its horizon, in
  // sequence order, as many as it has room for.
  void load_into(ClaimWindow& w) const {
    const std::int64_t from = w.loaded() ? w.horizon() : 0;
    const std::size_t wanted = w.room();
    std::size_t rows = 0;
    std::int64_t last = w.horizon();
    for (auto it = open.upper_bound(from); it != open.end() && rows < wanted; ++it, ++rows) {
      w.add_loaded(it->second);
      last = it->first;
    }
    w.finish_load(last, rows < wanted);
  }
  WindowEvent* find(std::int64_t id) {
    for (auto& [sequence, e] : open)
      if (e.id == id) return &e;
    return nullptr;
  }
};

}  // namespace

TEST_CASE("the window offers what a scan of every open event would, through random transitions") {
  std::mt19937 random(20261201);
  const std::vector<std::string> systems{"S4D~080", "S4Q~100", "S4P~100"};
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    const std::size_t capacity = 4 + random() % 12;
    ClaimWindow w(capacity);
    Truth truth;
    truth.load_into(w);
    std::vector<std::int64_t> in_flight;
    std::set<std::int64_t> used_sequences;
    for (int step = 0; step < 400; ++step) {
      CAPTURE(step);
      const int op = static_cast<int>(random() % 10);
      if (op < 4) {  // collected: any sequence not used yet, so services poll out of order
        std::int64_t sequence = 1 + random() % 2000;
        if (!used_sequences.insert(sequence).second) continue;
        WindowEvent e{sequence * 10,
                      sequence,
                      static_cast<Service>(random() % 3),
                      "T" + std::to_string(random() % 12),
                      systems[random() % systems.size()],
                      EventState::Pending,
                      static_cast<EpochMillis>(random() % 2 ? 100 : 5000),
                      static_cast<EpochMillis>(random() % 1000)};
        truth.open.emplace(sequence, e);
        w.stored(e);
      } else if (op < 7) {  // claimed: what the window offers for a random service and state
        const auto state = random() % 3 ? EventState::Pending : EventState::Retryable;
        const std::vector<std::string> none;
        const auto ids = w.claimable(WindowQuery{static_cast<Service>(random() % 3), state, 1000,
                                                 kNoWatermark, &none, 1 + static_cast<int>(random() % 3)});
        for (std::int64_t id : ids) {
          w.claimed(id);
          truth.find(id)->state = EventState::InFlight;
          in_flight.push_back(id);
        }
      } else if (!in_flight.empty()) {  // settled, failed or released
        const std::size_t at = random() % in_flight.size();
        const std::int64_t id = in_flight[at];
        in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(at));
        WindowEvent* e = truth.find(id);
        if (op == 7) {
          w.settled(id);
          truth.open.erase(e->sequence);
        } else {
          e->state = op == 8 ? EventState::Retryable : EventState::Pending;
          e->next_attempt_at = random() % 2 ? 100 : 5000;
          w.waiting(id, e->state, e->next_attempt_at);
        }
      }
      if (random() % 50 == 0) w.clear();  // a rollback or another process's commit
      if (w.wants_more()) truth.load_into(w);

      REQUIRE(w.size() <= capacity);
      CHECK(w.oldest_enqueued_at() == truth.oldest(w));
      for (int s = 0; s < 3; ++s)
        for (auto state : {EventState::Pending, EventState::Retryable}) {
          const std::vector<std::string> excluded{systems[random() % systems.size()]};
          const WindowQuery q{static_cast<Service>(s),
                              state,
                              1000,
                              random() % 4 ? kNoWatermark : static_cast<std::int64_t>(random() % 2000),
                              random() % 2 ? &excluded : &systems,
                              1 + static_cast<int>(random() % 5)};
          const std::vector<std::string> no_systems;
          const WindowQuery open_query{q.service, q.state, q.now, q.watermark, &no_systems, q.max_events};
          CHECK(w.claimable(q) == truth.claimable(w, q));
          CHECK(w.claimable(open_query) == truth.claimable(w, open_query));
        }
    }
  }
}
