// The fake Cloud ALM's state, which its APIs share: the transports and how each got its status, the
// eventIds accepted, the journal of accepted events (memory, and SQLite with --journal), the
// counters, and the features. One lock guards it all; only an AlmStore::Locked reaches the state, so
// holding one is holding the lock (the types say it, no "caller holds the mutex" contract).
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <boost/uuid/uuid.hpp>
#include <boost/uuid/uuid_hash.hpp>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "simulator/alm/features.hpp"

namespace ato::sim {

// What Cloud ALM shows for one transport, and how it got there. Its tenants send independently
// (schema/README.md, "Order"): the status is that of the latest status-changing event by what
// happened (occurredAt, then the kind of step), whatever order the tenants' events arrived in.
struct TransportRecord {
  struct Step {
    std::int64_t sequence;
    boost::uuids::uuid event_id;  // 16 bytes, not a string on the heap per accepted event
    Service service;
    std::string status;  // the transport's status after this event
    EpochMillis occurred_at;
    std::string source;  // the sending tenant, SID~client
  };
  // Orders status-changing events by what happened: when, then which step of an import came first.
  struct StatusKey {
    EpochMillis occurred_at = 0;
    int step = 0;
    std::string source;
    std::int64_t sequence = 0;
    auto operator<=>(const StatusKey&) const = default;
  };
  std::string id;
  std::string title;   // from its export
  std::string source;  // the development tenant that released it
  EpochMillis released_at = 0;
  std::string status;      // as Cloud ALM shows it; empty until an event that sets one arrived
  std::string raw_status;  // that of the latest status-changing event (status but for Repaired)
  std::optional<StatusKey> status_key;
  std::vector<std::pair<std::string, EpochMillis>> failed_imports;  // system, when
  bool exported = false;      // its export arrived: until then Cloud ALM lists it nowhere...
  bool created_here = false;  // ...unless Cloud ALM created it (Modifiable until its export)
  bool listed() const { return exported || created_here; }
  std::vector<std::pair<std::string, std::int64_t>> last_sequence_by_source;  // per tenant
  std::vector<Step> history;
};

// Per push service, what /sim/stats shows.
struct AlmCounters {
  std::int64_t packages_received = 0, events_accepted = 0, events_duplicate = 0, events_rejected = 0,
               order_violations = 0, unknown_transports = 0, unregistered_systems = 0, auth_failures = 0;
  AlmCounters& operator+=(const AlmCounters& other);
};

// An eventId as the 16 bytes the store keeps (eventIds reach the store parsed, so checked).
boost::uuids::uuid uuid_of(const std::string& event_id);

class AlmState {
 public:
  // A rejection: Cloud ALM's code and message.
  using Rejection = std::pair<std::string, std::string>;

  // Applies one event (the caller checked it is no duplicate). Tenants send independently, so an
  // event is refused only when it is older (by its tenant's sequence) than an event of the same
  // tenant already applied to the transport. `event_uuid` is uuid_of(event.event_id). An accepted
  // event goes into the journal file too (with --journal), before apply() takes it over.
  std::optional<Rejection> apply(AtoEvent&& event, const boost::uuids::uuid& event_uuid,
                                 AlmCounters& counters);
  bool accepted(const boost::uuids::uuid& event_uuid) const { return accepted_ids_.contains(event_uuid); }
  // Runs `work` (the events of one package) in one transaction of the journal file, if there is one.
  void batch(const std::function<void()>& work);

  const TransportRecord* transport(const std::string& id) const;
  // A transport Cloud ALM had a development tenant create: listed as Modifiable until its export.
  void add_created_transport(const std::string& id, const std::string& description, const std::string& source,
                             EpochMillis at);
  const boost::unordered_flat_map<std::string, TransportRecord>& transports() const { return transports_; }
  // The status a feature shows: Deployed once every transport is deployed where it was deployed to.
  std::string effective_status(const Feature& feature) const;

  // Accepted events, oldest kept first; those before journal_first() are no longer in memory.
  const std::deque<AtoEvent>& journal() const { return journal_; }
  std::size_t journal_first() const { return journal_dropped_; }

  std::map<Service, AlmCounters>& counters() { return counters_; }
  const std::map<Service, AlmCounters>& counters() const { return counters_; }
  FeatureStore& features() { return features_; }
  const FeatureStore& features() const { return features_; }

  // Forgets every accepted event (POST /sim/reset); features stay.
  void reset();
  // Forgets a system's events: the transports it exported, and its steps in others (a load test's
  // synthetic system, DELETE /sim/transports?system=). Returns how many transports and events went.
  std::pair<std::size_t, std::size_t> drop_system(const std::string& system);

 private:
  friend class AlmStore;
  struct JournalFile;
  std::optional<Rejection> apply(AtoEvent&& event, const boost::uuids::uuid& event_uuid,
                                 AlmCounters& counters, bool persist);

  std::size_t journal_memory_events_ = 0;  // 0: keep all
  std::unique_ptr<JournalFile> file_;
  // eventIds accepted so far, as UUIDs in an open-addressing set: no string and no node per entry.
  // The node-based set of strings was the largest single item of a push's time (5%, a cache miss
  // or two per lookup).
  boost::unordered_flat_set<boost::uuids::uuid, boost::hash<boost::uuids::uuid>> accepted_ids_;
  // By id, in an open-addressing map: one cache miss per lookup where a tree of 100,000
  // transports took several (perf: ~5% of a push's cycles). Listings sort what they show.
  boost::unordered_flat_map<std::string, TransportRecord> transports_;
  // Accepted events in acceptance order, serialized when read: a push does not write JSON for them
  // (re-serializing each event was 4% of a push's time). A deque, not a vector: growing a vector of
  // a million events moved them all at once, and that push stalled for ~0.5 s (bench/e2e.sh).
  std::deque<AtoEvent> journal_;
  std::size_t journal_dropped_ = 0;
  std::map<Service, AlmCounters> counters_;
  FeatureStore features_;
};

class AlmStore {
 public:
  // With a journal file, what it holds is applied again: a restarted simulator still answers
  // duplicate and shows the same statuses.
  AlmStore(const std::optional<std::filesystem::path>& journal_file, std::size_t journal_memory_events);
  ~AlmStore();

  // The state, for as long as the Locked lives (keep it short: every API waits meanwhile).
  class Locked {
   public:
    AlmState* operator->() const { return &state_; }
    AlmState& operator*() const { return state_; }

   private:
    friend class AlmStore;
    Locked(std::mutex& mutex, AlmState& state) : lock_(mutex), state_(state) {}
    std::unique_lock<std::mutex> lock_;
    AlmState& state_;
  };
  Locked lock() { return {mutex_, state_}; }

 private:
  std::mutex mutex_;
  AlmState state_;
};

}  // namespace ato::sim
