#include "bridge/outbox/in_flight.hpp"

#include <doctest/doctest.h>

#include "bridge/outbox/outbox.hpp"

using namespace ato;
using namespace ato::bridge;

TEST_CASE("an event in flight is its lease's to settle until the lease lets it go") {
  InFlight out;
  CHECK_FALSE(out.loaded());
  out.add(1, {7, Service::Export, EventState::Pending, 100});
  out.add(2, {7, Service::Export, EventState::Retryable, 200});
  out.add(3, {7, Service::Import, EventState::Pending, 300});
  out.add(4, {8, Service::Export, EventState::Pending, 400});
  out.mark_loaded();
  CHECK(out.loaded());
  CHECK(out.holds(7, 1));
  CHECK_FALSE(out.holds(8, 1));  // another lease's token
  CHECK_FALSE(out.holds(7, 9));  // not in flight at all
  REQUIRE(out.find(2) != nullptr);
  CHECK(out.find(2)->state == EventState::Retryable);
  CHECK(out.find(2)->next_attempt_at == 200);

  // Settled in two parts (a 413 split): the lease lists the rest until its last part.
  CHECK(out.end(7, {2, 1}) == std::vector<std::int64_t>{3});
  CHECK_FALSE(out.holds(7, 1));
  CHECK(out.holds(7, 3));
  CHECK(out.end(7, {3}).empty());
  CHECK(out.find(3) == nullptr);
  CHECK(out.end(7, {3}).empty());  // an ended lease lets nothing go twice
  CHECK(out.events().size() == 1);
  CHECK(out.holds(8, 4));

  out.forget();
  CHECK_FALSE(out.loaded());
  CHECK(out.events().empty());
}
