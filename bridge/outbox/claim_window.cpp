#include "bridge/outbox/claim_window.hpp"

#include <algorithm>
#include <utility>

#include "bridge/outbox/outbox.hpp"

namespace ato::bridge {

ClaimWindow::ClaimWindow(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) {}

void ClaimWindow::clear() {
  loaded_ = false;
  complete_ = false;
  horizon_ = 0;
  by_sequence_.clear();
  sequence_of_id_.clear();
  open_by_transport_.clear();
  for (auto& set : heads_) set.clear();
}

void ClaimWindow::add_loaded(WindowEvent event) {
  if (by_sequence_.count(event.sequence)) return;  // kept from before (stored while it was loading)
  insert(std::move(event));
}

void ClaimWindow::finish_load(std::int64_t last_sequence, bool reached_end) {
  loaded_ = true;
  complete_ = reached_end;
  horizon_ = std::max(horizon_, last_sequence);
  evict_above_capacity();
}

void ClaimWindow::stored(WindowEvent event) {
  // Above the horizon of an incomplete window: SQLite has it, a later load brings it.
  if (!loaded_ || (!complete_ && event.sequence > horizon_)) return;
  insert(std::move(event));
  evict_above_capacity();
}

void ClaimWindow::claimed(std::int64_t id) {
  if (auto* e = find(id)) e->state = EventState::InFlight;
}

void ClaimWindow::waiting(std::int64_t id, EventState state, EpochMillis next_attempt_at) {
  if (auto* e = find(id)) {
    e->state = state;
    e->next_attempt_at = next_attempt_at;
  }
}

void ClaimWindow::settled(std::int64_t id) {
  auto found = sequence_of_id_.find(id);
  if (found == sequence_of_id_.end()) return;
  erase(by_sequence_.find(found->second));
}

bool ClaimWindow::leaves_now(const WindowEvent& e, EventState state, EpochMillis now,
                             const std::vector<std::string>* excluded_systems) const {
  if (e.state != state || e.next_attempt_at > now) return false;
  return !excluded_systems || std::find(excluded_systems->begin(), excluded_systems->end(),
                                        e.source_system) == excluded_systems->end();
}

std::vector<std::int64_t> ClaimWindow::claimable(const WindowQuery& q) const {
  std::vector<std::int64_t> ids;
  for (const auto& [sequence, e] : heads_[static_cast<std::size_t>(q.service)]) {
    if (static_cast<int>(ids.size()) >= q.max_events) break;
    if (sequence > q.watermark) break;  // in sequence order: the rest is above it too
    if (leaves_now(*e, q.state, q.now, q.excluded_systems)) ids.push_back(e->id);
  }
  return ids;
}

bool ClaimWindow::blocked(EpochMillis now, std::int64_t watermark,
                          const std::vector<std::string>& excluded_systems) const {
  if (complete_ || room() > 0) return false;
  for (const auto& of_service : heads_)
    for (const auto& [sequence, e] : of_service) {
      if (sequence > watermark) break;
      if (leaves_now(*e, EventState::Pending, now, &excluded_systems) ||
          leaves_now(*e, EventState::Retryable, now, &excluded_systems))
        return false;
    }
  return true;
}

WindowEvent* ClaimWindow::find(std::int64_t id) {
  auto found = sequence_of_id_.find(id);
  return found == sequence_of_id_.end() ? nullptr : &by_sequence_.at(found->second);
}

void ClaimWindow::insert(WindowEvent event) {
  auto& of_transport = open_by_transport_[event.transport_id];
  // Mostly the transport's latest event: found from the back.
  const auto at = std::upper_bound(of_transport.begin(), of_transport.end(), event.sequence);
  const bool first = at == of_transport.begin();
  // An earlier event (a slower service's poll) takes the headship from the current head.
  if (first && !of_transport.empty()) {
    const WindowEvent& old_head = by_sequence_.at(of_transport.front());
    heads(old_head.service).erase(old_head.sequence);
  }
  of_transport.insert(at, event.sequence);
  sequence_of_id_[event.id] = event.sequence;
  const auto [it, inserted] = by_sequence_.emplace(event.sequence, std::move(event));
  if (first) add_head(it->second);
}

void ClaimWindow::erase(std::map<std::int64_t, WindowEvent>::iterator it) {
  const WindowEvent& e = it->second;
  heads(e.service).erase(e.sequence);
  auto of_transport = open_by_transport_.find(e.transport_id);
  auto& sequences = of_transport->second;
  const bool was_first = sequences.front() == e.sequence;
  sequences.erase(std::lower_bound(sequences.begin(), sequences.end(), e.sequence));
  if (sequences.empty())
    open_by_transport_.erase(of_transport);
  else if (was_first)
    add_head(by_sequence_.at(sequences.front()));
  sequence_of_id_.erase(e.id);
  by_sequence_.erase(it);
}

void ClaimWindow::evict_above_capacity() {
  while (by_sequence_.size() > capacity_) {
    auto last = std::prev(by_sequence_.end());
    horizon_ = last->first - 1;
    complete_ = false;
    erase(last);
  }
}

}  // namespace ato::bridge
