// The generated landscape: an upgrade window, as SAP describes it, holds every export and import
// (and import queue step) until the upgrade ends; nothing else about the history changes.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

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

// SAP: in a 3-system landscape collections are imported automatically, daily into test and weekly into
// production; import types also include manual and forecast.
TEST_CASE(
    "collections are imported on the landscape's schedule; other transports by hand, some after a forecast") {
  const auto events = history(std::nullopt);
  constexpr EpochMillis kDay = 24 * kHour;
  std::set<std::string> collections;
  for (const auto& e : events)
    if (const auto* x = std::get_if<ExportDetails>(&e.details);
        x && x->kind == RequestKind::SoftwareCollection)
      collections.insert(e.transport_id);
  REQUIRE(collections.size() > 10);
  int automatic_test = 0, automatic_production = 0, manual = 0, forecasts = 0;
  for (const auto& e : events) {
    const auto* i = std::get_if<ImportDetails>(&e.details);
    if (!i) continue;
    CAPTURE(e.transport_id);
    const bool collection = collections.count(e.transport_id) == 1;
    if (i->import_type == ImportType::Forecast) {
      CHECK_FALSE(collection);
      CHECK(i->target.sid == "S4T");
      ++forecasts;
      continue;
    }
    CHECK(collection == (i->import_type == ImportType::Automatic));
    if (!collection) {
      ++manual;
      continue;
    }
    // The queue step of a scheduled import is at its slot: the import itself follows within the hour.
    const EpochMillis every = i->target.sid == "S4T" ? kDay : 7 * kDay;
    CHECK(i->started_at % every < 2 * kHour);
    (i->target.sid == "S4T" ? automatic_test : automatic_production)++;
  }
  CHECK(automatic_test > 10);
  CHECK(automatic_production > 5);
  CHECK(manual > 50);
  CHECK(forecasts > 20);
}
