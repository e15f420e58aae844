// The generated landscape: an upgrade window, as SAP describes it, holds every export and import
// (and import queue step) until the upgrade ends; nothing else about the history changes.
#include <doctest/doctest.h>

#include "simulator/ato/landscape.hpp"

using namespace ato;
using namespace ato::sim;

namespace {

constexpr EpochMillis kStart = 1795313841000;
constexpr EpochMillis kHour = 3'600'000;

bool moves_transport(const AtoEvent& e) {
  const auto* s = std::get_if<StatusChangeDetails>(&e.details);
  return !s || s->status_type == StatusType::ImportQueue;
}

std::vector<AtoEvent> history(std::optional<std::pair<EpochMillis, EpochMillis>> window) {
  LandscapeSettings settings;
  settings.seed = 7;
  settings.start_time = kStart;
  settings.transports_per_minute = 0.5;
  settings.transport_count = 300;
  settings.upgrade_window = window;
  Landscape landscape(settings);
  auto events = landscape.release_until(kStart + 90 * 24 * kHour);
  CHECK(landscape.done());
  return events;
}

}  // namespace

TEST_CASE("an upgrade window holds exports and imports until it ends (SAP: none during an upgrade)") {
  const std::pair window{kStart + 2 * kHour, kStart + 8 * kHour};
  const auto inside = [&](const AtoEvent& e) {
    return e.occurred_at >= window.first && e.occurred_at < window.second;
  };
  const auto without = history(std::nullopt);
  // The same landscape without the window does export and import in those hours: the check can fail.
  CHECK(std::count_if(without.begin(), without.end(),
                      [&](const AtoEvent& e) { return inside(e) && moves_transport(e); }) > 10);

  const auto with = history(window);
  CHECK(with.size() == without.size());  // nothing lost: only later
  int held = 0;
  for (const auto& e : with) {
    CAPTURE(e.transport_id);
    CHECK_FALSE((inside(e) && moves_transport(e)));
    held += e.occurred_at == window.second;
  }
  CHECK(held > 0);  // what fell inside happens when the upgrade ends
  // Sequences stay gap-free and in the order things happened.
  for (std::size_t i = 1; i < with.size(); ++i) {
    CHECK(with[i].sequence == with[i - 1].sequence + 1);
    CHECK(with[i].occurred_at >= with[i - 1].occurred_at);
  }
}
