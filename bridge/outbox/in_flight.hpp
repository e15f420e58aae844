// The events in flight, as the outbox's `leases` rows list them (schema/outbox/006_leases_per_package
// .sql), kept in memory: a settle checks its lease here, and a reloaded claim window learns here
// which of its events are out, without asking SQLite for every event. SQLite stays the truth: the
// outbox loads this from the rows again whenever it reloads the window.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"
#include "core/time.hpp"

namespace ato::bridge {

enum class EventState;  // bridge/outbox/outbox.hpp

class InFlight {
 public:
  struct Event {
    std::int64_t token = 0;  // the lease listing it
    Service service = Service::Export;
    EventState state{};  // the state it was claimed from, which its row still has
    EpochMillis next_attempt_at = 0;
    int tenant = 0;  // the outbox's number of its tenant
  };

  bool loaded() const { return loaded_; }
  void forget();       // not loaded: the next use loads it from the rows
  void mark_loaded();  // after add() for every row

  void add(std::int64_t id, const Event& event);
  const Event* find(std::int64_t id) const;
  // Listed by lease `token`: the settle with that token may settle it.
  bool holds(std::int64_t token, std::int64_t id) const;
  // Removes `settled` ids from lease `token` and returns what it still lists (empty: it ended).
  std::vector<std::int64_t> end(std::int64_t token, const std::vector<std::int64_t>& settled);

  const std::unordered_map<std::int64_t, Event>& events() const { return by_id_; }

 private:
  bool loaded_ = false;
  std::unordered_map<std::int64_t, Event> by_id_;
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> by_token_;
};

}  // namespace ato::bridge
