#include "bridge/outbox/event_ids.hpp"

#include <functional>

namespace ato::bridge {

std::uint64_t EventIdIndex::fingerprint(std::string_view event_id) {
  return std::hash<std::string_view>{}(event_id);
}

std::optional<std::int64_t> EventIdIndex::find(std::string_view event_id) const {
  const auto it = by_fingerprint_.find(fingerprint(event_id));
  if (it == by_fingerprint_.end()) return std::nullopt;
  return it->second;
}

void EventIdIndex::add(std::string_view event_id, std::int64_t sequence) {
  by_fingerprint_.emplace(fingerprint(event_id), sequence);
}

}  // namespace ato::bridge
