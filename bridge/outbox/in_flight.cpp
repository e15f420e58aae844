#include "bridge/outbox/in_flight.hpp"

#include <algorithm>

namespace ato::bridge {

void InFlight::forget() {
  loaded_ = false;
  by_id_.clear();
  by_token_.clear();
}

void InFlight::mark_loaded() {
  loaded_ = true;
}

void InFlight::add(std::int64_t id, const Event& event) {
  by_id_[id] = event;
  by_token_[event.token].push_back(id);
}

const InFlight::Event* InFlight::find(std::int64_t id) const {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

bool InFlight::holds(std::int64_t token, std::int64_t id) const {
  const Event* event = find(id);
  return event && event->token == token;
}

std::vector<std::int64_t> InFlight::end(std::int64_t token, const std::vector<std::int64_t>& settled) {
  const auto lease = by_token_.find(token);
  if (lease == by_token_.end()) return {};
  std::vector<std::int64_t> gone = settled;
  std::sort(gone.begin(), gone.end());
  auto& still = lease->second;
  std::erase_if(still, [&](std::int64_t id) {
    if (!std::binary_search(gone.begin(), gone.end(), id)) return false;
    by_id_.erase(id);
    return true;
  });
  std::vector<std::int64_t> rest = still;
  if (still.empty()) by_token_.erase(lease);
  return rest;
}

}  // namespace ato::bridge
