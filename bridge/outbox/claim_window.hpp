// Which open events may leave now, decided in memory. Per-transport order kept in SQLite (a head
// flag, an index by transport, triggers that hand the headship on) made every event ~3x dearer to
// store, claim and settle; schema/outbox/005 says what was measured.
//
// The window is a cache of the outbox's lowest open events (pending, retryable or in flight), in
// sequence order. Its one invariant: it holds *every* open event whose sequence is at or below its
// horizon. So an event in it is its transport's head exactly when no earlier event of the
// transport is in it: earlier events have lower sequences, and those that are open are here.
// SQLite stays the truth for every state; when in doubt (a rolled-back transaction, a change by
// another process) the outbox clears the window and loads it again.
//
// Memory is bounded by `capacity` events (~200 bytes each), whatever the backlog. The price: when
// the first `capacity` open events are all held (backoff, paused systems, the events of a service
// since made inactive), later events wait until they move. blocked() tells when none of them can
// leave now; it does not know which services are inactive.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"
#include "core/time.hpp"

namespace ato::bridge {

enum class EventState;  // bridge/outbox/outbox.hpp

struct WindowEvent {
  std::int64_t id = 0;  // the outbox row
  std::int64_t sequence = 0;
  Service service = Service::Export;
  std::string transport_id;
  std::string source_system;
  EventState state{};  // Pending, Retryable or InFlight
  EpochMillis next_attempt_at = 0;
  EpochMillis enqueued_at = 0;
};

struct WindowQuery {
  Service service = Service::Export;
  EventState state{};  // Pending or Retryable
  EpochMillis now = 0;
  std::int64_t watermark = 0;  // nothing above it
  const std::vector<std::string>* excluded_systems = nullptr;
  int max_events = 0;
};

class ClaimWindow {
 public:
  explicit ClaimWindow(std::size_t capacity);

  // --- loading, in sequence order, from the outbox's open rows above horizon() ---
  bool loaded() const { return loaded_; }
  std::int64_t horizon() const { return horizon_; }
  bool complete() const { return complete_; }  // every open event is in the window
  std::size_t size() const { return by_sequence_.size(); }
  std::size_t room() const { return size() < capacity_ ? capacity_ - size() : 0; }
  // Worth loading more: not every open event is here and there is room for a good part of them.
  bool wants_more() const { return !loaded_ || (!complete_ && room() >= capacity_ / 4); }
  void add_loaded(WindowEvent event);
  // Ends a load: `reached_end` when the outbox had no more open events above the last one.
  void finish_load(std::int64_t last_sequence, bool reached_end);
  void clear();  // forget everything; the next use loads again

  // --- the outbox's transitions, after SQLite made them ---
  // A newly stored event. Kept when it falls within the horizon; over capacity, the highest
  // events leave the window (they stay in SQLite) and the horizon moves below them.
  void stored(WindowEvent event);
  void claimed(std::int64_t id);  // now in flight
  void settled(std::int64_t id);  // done or dead: gone; the next event of its transport is head
  // Back to waiting (released, or failed and retryable), due at `next_attempt_at`.
  void waiting(std::int64_t id, EventState state, EpochMillis next_attempt_at);

  // Row ids of due transport heads of `query.service` in `query.state`, in sequence order.
  std::vector<std::int64_t> claimable(const WindowQuery& query) const;
  // When the oldest event here was stored (nullopt: none here). The oldest open event of the
  // outbox when the window is complete; otherwise the oldest of its lowest open events, which may be
  // younger by the time one service collects ahead of another.
  std::optional<EpochMillis> oldest_enqueued_at() const;
  // Every event here, in sequence order (the outbox's memory check compares them with the file).
  std::vector<WindowEvent> events() const;
  // Full, open events wait beyond it, and none in it can leave now (for any service).
  bool blocked(EpochMillis now, std::int64_t watermark,
               const std::vector<std::string>& excluded_systems) const;

 private:
  // An event in the window, where it is: its own place in every index, so a transition never
  // searches a tree or hashes a transport for it (those searches and the cache misses they cost
  // were ~10% of the outbox thread while a backlog drained).
  struct Node;
  struct Transport {  // its open events here, in sequence order: a handful each
    Node* first = nullptr;
    Node* last = nullptr;
  };
  using BySequence = std::map<std::int64_t, Node>;
  using Heads = std::map<std::int64_t, Node*>;  // by sequence
  struct Node {
    WindowEvent event;
    BySequence::iterator self;
    Transport* transport = nullptr;  // an element of open_by_transport_: its address is stable
    Node* earlier = nullptr;         // the transport's open events, as a list
    Node* later = nullptr;
    std::optional<Heads::iterator> head;  // set while it is its transport's first open event
  };

  Node* find(std::int64_t id);
  void insert(WindowEvent event);
  void erase(Node& node);
  void make_head(Node& node);
  void evict_above_capacity();
  bool leaves_now(const WindowEvent& e, EventState state, EpochMillis now,
                  const std::vector<std::string>* excluded_systems) const;

  std::size_t capacity_;
  bool loaded_ = false;
  bool complete_ = false;
  std::int64_t horizon_ = 0;
  BySequence by_sequence_;
  std::unordered_map<std::int64_t, Node*> by_id_;
  std::unordered_map<std::string, Transport> open_by_transport_;
  std::array<Heads, 3> heads_;  // per service: the transport heads
};

}  // namespace ato::bridge
