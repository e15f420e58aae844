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
  for (auto& heads : heads_) heads.clear();
  open_by_transport_.clear();
  by_id_.clear();
  by_sequence_.clear();
}

void ClaimWindow::add_loaded(WindowEvent event) {
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

std::vector<WindowEvent> ClaimWindow::events() const {
  std::vector<WindowEvent> out;
  out.reserve(by_sequence_.size());
  for (const auto& [sequence, node] : by_sequence_) out.push_back(node.event);
  return out;
}

void ClaimWindow::claimed(std::int64_t id) {
  if (Node* node = find(id)) node->event.state = EventState::InFlight;
}

void ClaimWindow::waiting(std::int64_t id, EventState state, EpochMillis next_attempt_at) {
  if (Node* node = find(id)) {
    node->event.state = state;
    node->event.next_attempt_at = next_attempt_at;
  }
}

void ClaimWindow::settled(std::int64_t id) {
  if (Node* node = find(id)) erase(*node);
}

bool ClaimWindow::leaves_now(const WindowEvent& e, EventState state, EpochMillis now,
                             const std::vector<std::string>* excluded_systems) const {
  if (e.state != state || e.next_attempt_at > now) return false;
  return !excluded_systems || std::find(excluded_systems->begin(), excluded_systems->end(),
                                        e.source_system) == excluded_systems->end();
}

std::vector<std::int64_t> ClaimWindow::claimable(const WindowQuery& q) const {
  std::vector<std::int64_t> ids;
  for (const auto& [sequence, node] : heads_[static_cast<std::size_t>(q.service)]) {
    if (static_cast<int>(ids.size()) >= q.max_events) break;
    if (sequence > q.watermark) break;  // in sequence order: the rest is above it too
    if (leaves_now(node->event, q.state, q.now, q.excluded_systems)) ids.push_back(node->event.id);
  }
  return ids;
}

std::optional<EpochMillis> ClaimWindow::oldest_enqueued_at() const {
  std::optional<EpochMillis> oldest;
  for (const auto& [sequence, node] : by_sequence_)
    if (!oldest || node.event.enqueued_at < *oldest) oldest = node.event.enqueued_at;
  return oldest;
}

bool ClaimWindow::blocked(EpochMillis now, std::int64_t watermark,
                          const std::vector<std::string>& excluded_systems) const {
  if (complete_ || room() > 0) return false;
  for (const auto& of_service : heads_)
    for (const auto& [sequence, node] : of_service) {
      if (sequence > watermark) break;
      if (leaves_now(node->event, EventState::Pending, now, &excluded_systems) ||
          leaves_now(node->event, EventState::Retryable, now, &excluded_systems))
        return false;
    }
  return true;
}

ClaimWindow::Node* ClaimWindow::find(std::int64_t id) {
  auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : found->second;
}

void ClaimWindow::make_head(Node& node) {
  auto& heads = heads_[static_cast<std::size_t>(node.event.service)];
  const std::int64_t sequence = node.event.sequence;
  // A new transport's first event is usually the highest head yet: no search from the root then.
  node.head = !heads.empty() && std::prev(heads.end())->first < sequence
                  ? heads.emplace_hint(heads.end(), sequence, &node)
                  : heads.emplace(sequence, &node).first;
}

void ClaimWindow::insert(WindowEvent event) {
  const std::int64_t sequence = event.sequence;
  // Loads come in sequence order, and most collected events are the highest yet: placed at the
  // end without a search from the root.
  const auto hint = by_sequence_.empty() || std::prev(by_sequence_.end())->first < sequence
                        ? by_sequence_.end()
                        : by_sequence_.lower_bound(sequence);
  if (hint != by_sequence_.end() && hint->first == sequence) return;  // held already: the window keeps it
  const auto self = by_sequence_.emplace_hint(hint, sequence, Node{std::move(event), {}, {}, {}, {}, {}});
  Node& node = self->second;
  node.self = self;
  by_id_[node.event.id] = &node;
  Transport& transport = open_by_transport_[node.event.transport_id];
  node.transport = &transport;
  // Mostly the transport's latest event: found from the back.
  Node* earlier = transport.last;
  while (earlier && earlier->event.sequence > sequence) earlier = earlier->earlier;
  Node* later = earlier ? earlier->later : transport.first;
  node.earlier = earlier;
  node.later = later;
  (earlier ? earlier->later : transport.first) = &node;
  (later ? later->earlier : transport.last) = &node;
  if (!earlier) {
    // An earlier event (a slower service's poll) takes the headship from the current head.
    if (later) {
      heads_[static_cast<std::size_t>(later->event.service)].erase(*later->head);
      later->head.reset();
    }
    make_head(node);
  }
}

void ClaimWindow::erase(Node& node) {
  if (node.head) heads_[static_cast<std::size_t>(node.event.service)].erase(*node.head);
  Transport& transport = *node.transport;
  (node.earlier ? node.earlier->later : transport.first) = node.later;
  (node.later ? node.later->earlier : transport.last) = node.earlier;
  if (!transport.first)
    open_by_transport_.erase(node.event.transport_id);
  else if (!node.earlier)
    make_head(*transport.first);
  by_id_.erase(node.event.id);
  by_sequence_.erase(node.self);
}

void ClaimWindow::evict_above_capacity() {
  while (by_sequence_.size() > capacity_) {
    Node& last = std::prev(by_sequence_.end())->second;
    horizon_ = last.event.sequence - 1;
    complete_ = false;
    erase(last);
  }
}

}  // namespace ato::bridge
