// What the outbox keeps in memory of its file, in one place. SQLite holds the truth; each mirror
// below copies a part of it, is kept in step by the operations that change that part (after SQLite
// made the change), and is dropped by forget() whenever a change may not have reached it: a
// transaction rolled back, another process wrote (PRAGMA data_version moved), a lease was lost in
// flight, leases were released. Each is loaded again from the file on first use.
//
//   mirror     copies                                   invariant while loaded (check() tests it)
//   ---------  ---------------------------------------  --------------------------------------------
//   tenants    table tenants                            the same numbers and names as its rows
//   windows    per tenant, its lowest open events in     every event in it is open in the file, with
//              sequence order (claim_window.hpp)        its state and due time (or in flight: leased);
//                                                       it holds every open event of its tenant at or
//                                                       below its horizon (all of them when complete)
//   in_flight  table leases (in_flight.hpp)             lists exactly the open events the leases list,
//                                                       each with the state its row still has
//   tally      events by tenant, service, stored state  equal to a count of the rows (in flight is
//                                                       not a stored state: counts() moves those)
//   cursors    table cursors                            the same sequence per tenant and service
//   event_ids  stored eventIds -> row (event_ids.hpp)   finds every stored eventId; may still hold
//                                                       deleted ones (a candidate is confirmed by its
//                                                       row), until as many were deleted as are left
//
// forget() drops all but event_ids: only another process's write makes those stale (a rolled-back
// store leaves entries for rows that are not there, which the confirmation ignores).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/outbox/claim_window.hpp"
#include "bridge/outbox/event_ids.hpp"
#include "bridge/outbox/in_flight.hpp"
#include "bridge/outbox/types.hpp"

namespace ato::sqlite {
class Database;
}

namespace ato::bridge {

struct OutboxMemory {
  struct Tenants {
    std::map<std::string, int, std::less<>> numbers;
    std::map<int, std::string> names;
    bool loaded = false;
  };
  using Tally = std::map<int, StateCounts::ByService>;  // by tenant number
  using Cursors = std::map<std::pair<int, Service>, std::int64_t>;
  struct EventIds {
    EventIdIndex index;
    bool loaded = false;
    std::int64_t deleted_since_load = 0;
  };

  Tenants tenants;
  std::map<int, std::unique_ptr<ClaimWindow>> windows;  // by tenant number
  InFlight in_flight;
  std::optional<Tally> tally;
  std::optional<Cursors> cursors;
  EventIds event_ids;

  void forget();
  // A stored state's count changes (no-op while the tally is not loaded).
  void count(int tenant, Service service, EventState state, std::int64_t n);
  void count_move(int tenant, Service service, EventState from, EventState to);

  // Each broken invariant of the table above, in words (empty: memory agrees with the file).
  std::vector<std::string> check(const sqlite::Database& db) const;
};

}  // namespace ato::bridge
