#include "simulator/ato/landscape.hpp"

#include <fmt/format.h>

#include <random>
#include <type_traits>

namespace ato::sim {
namespace {

constexpr EpochMillis kMinute = 60'000;

// A UUID that depends only on (seed, transport, step): the same landscape has the same eventIds.
std::string event_uuid(std::uint64_t seed, std::int64_t transport, int step) {
  std::mt19937_64 gen(seed * 0x9E3779B97F4A7C15ULL ^ (static_cast<std::uint64_t>(transport) << 16) ^
                      static_cast<std::uint64_t>(step));
  const std::uint64_t hi = gen(), lo = gen();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff, hi & 0xfff,
                     0x8000 | (lo >> 48 & 0x3fff), lo & 0xffffffffffffULL);
}

const char* kTitles[] = {"Delivery block in sales orders",
                         "Pricing conditions for 2027",
                         "New output type for invoices",
                         "Extend business partner with tax data",
                         "Custom field on purchase requisition",
                         "Approval workflow for credit memos",
                         "Fiori tile for open deliveries",
                         "Material determination rule",
                         "Payment terms Z030",
                         "Number range for service orders"};
const char* kUsers[] = {"CB9980000123", "CB9980000456", "CB9980000789", "CB9980000321"};

}  // namespace

bool Landscape::Later::operator()(const ScheduledEvent& a, const ScheduledEvent& b) const {
  if (a.at != b.at) return a.at > b.at;
  if (a.transport_index != b.transport_index) return a.transport_index > b.transport_index;
  return a.step > b.step;
}

Landscape::Landscape(LandscapeSettings settings) : settings_(std::move(settings)) {}

std::vector<SystemRef> Landscape::systems() const {
  return {{settings_.dev_sid, "080"},
          {settings_.dev_sid, "100"},
          {settings_.test_sid, "100"},
          {settings_.prod_sid, "100"}};
}

void Landscape::plan_transport(std::int64_t index) {
  const auto& s = settings_;
  std::mt19937_64 gen(s.seed * 1'000'003 + static_cast<std::uint64_t>(index));
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(gen) < p; };
  auto minutes = [&](int lo, int hi) { return kMinute * std::uniform_int_distribution<int>(lo, hi)(gen); };

  const EpochMillis start =
      s.start_time + static_cast<EpochMillis>(index * kMinute / s.transports_per_minute);
  const int kind_roll = static_cast<int>(gen() % 10);
  const RequestKind kind = kind_roll < 5   ? RequestKind::Workbench
                           : kind_roll < 8 ? RequestKind::Customizing
                                           : RequestKind::SoftwareCollection;
  const SystemRef source{s.dev_sid, kind == RequestKind::Workbench ? "080" : "100"};
  const SystemRef test{s.test_sid, "100"}, prod{s.prod_sid, "100"};
  const std::string transport = fmt::format("{}K9{:05d}", s.dev_sid, 900 + index % 99'000);
  const std::string owner = kUsers[gen() % 4];
  int step = 0;
  EpochMillis at = start;

  auto schedule = [&](Service service, const SystemRef& where, auto details) {
    // No export, import or import queue step during an upgrade: it happens when the upgrade ends,
    // and the rest of the transport's life after it.
    bool moves_transport = true;
    if constexpr (std::is_same_v<std::decay_t<decltype(details)>, StatusChangeDetails>)
      moves_transport = details.status_type == StatusType::ImportQueue;
    if (const auto& window = s.upgrade_window;
        window && moves_transport && at >= window->first && at < window->second)
      at = window->second;
    AtoEvent e;
    e.event_id = event_uuid(s.seed, index, step);
    e.service = service;
    e.occurred_at = at;
    e.source = where;
    e.transport_id = transport;
    e.details = std::move(details);
    pending_.push({at, index, step++, std::move(e)});
  };
  auto queue_status = [&](const SystemRef& target, std::optional<std::string> old_status,
                          std::string new_status) {
    schedule(Service::StatusChange, target,
             StatusChangeDetails{StatusType::ImportQueue, std::move(old_status), std::move(new_status),
                                 "SAP_SYSTEM", target});
  };
  // One import into `target` (queue, run, result); returns the result.
  auto import_into = [&](const SystemRef& target, std::optional<std::string> previous, bool may_fail,
                         ImportType type) {
    queue_status(target, std::move(previous), "READY_FOR_IMPORT");
    at += minutes(5, 60);
    queue_status(target, "READY_FOR_IMPORT", "RUNNING");
    const EpochMillis started = at;
    at += minutes(1, 8);
    const bool fail = may_fail && chance(s.shares.import_failure);
    const bool warn = !fail && chance(s.shares.import_warning);
    const ImportResult result = fail   ? ImportResult::Error
                                : warn ? ImportResult::Warning
                                       : ImportResult::Success;
    schedule(Service::Import, target,
             ImportDetails{target, type, result,
                           fail   ? 8
                           : warn ? 4
                                  : 0,
                           started, at});
    return result;
  };

  std::optional<CollectionVersion> collection;
  if (kind == RequestKind::SoftwareCollection)
    collection =
        CollectionVersion{fmt::format("ZSC_{:04d}", index % 10'000), 1 + static_cast<std::int64_t>(gen() % 5),
                          chance(0.2) ? ExportType::Hotfix : ExportType::Standard};
  schedule(Service::Export, source,
           ExportDetails{kind, kTitles[gen() % 10], owner, at - minutes(0, 2) / 2, collection});
  if (!s.auto_import) return;  // deployed from a feature in Cloud ALM instead
  at += minutes(10, 120);

  // Collections go in on the landscape's schedule (automatic imports); other transports by hand, some
  // after a forecast. The forecast draws from a stream of its own, so the rest of the history is what
  // the same seed always gave.
  const bool scheduled_test = collection && s.collection_test_import_every > 0;
  const bool scheduled_production = collection && s.collection_production_import_every > 0;
  const auto next_slot = [&](EpochMillis every) { at = (at / every + 1) * every; };
  std::mt19937_64 side(s.seed * 7'919 + static_cast<std::uint64_t>(index) + 0x5eed);
  if (!scheduled_test && std::uniform_real_distribution<double>(0, 1)(side) < s.shares.forecast) {
    const EpochMillis started = at;
    at += kMinute * std::uniform_int_distribution<int>(1, 5)(side);
    schedule(Service::Import, test,
             ImportDetails{test, ImportType::Forecast, ImportResult::Success, 0, started, at});
    at += kMinute * std::uniform_int_distribution<int>(5, 60)(side);
  }

  // Test import; a failed one is re-imported after a fix, at most twice more.
  std::optional<std::string> previous;
  ImportResult result = ImportResult::Error;
  for (int attempt = 0; attempt < 3 && result == ImportResult::Error; ++attempt) {
    if (scheduled_test) next_slot(s.collection_test_import_every);
    result =
        import_into(test, previous, attempt < 2, scheduled_test ? ImportType::Automatic : ImportType::Manual);
    previous = "FAILED";
    at += minutes(30, 240);
  }
  if (chance(s.shares.approval)) {
    schedule(Service::StatusChange, test,
             StatusChangeDetails{StatusType::Quality, std::nullopt, "OPEN", owner, test});
    at += minutes(60, 24 * 60);
    const bool rejected = chance(s.shares.rejection);
    schedule(Service::StatusChange, test,
             StatusChangeDetails{StatusType::Quality, "OPEN", rejected ? "REJECTED" : "APPROVED",
                                 kUsers[gen() % 4], test});
    if (rejected) return;
    at += minutes(10, 120);
  }
  schedule(Service::StatusChange, test,
           StatusChangeDetails{StatusType::Forward, "NOT_FORWARDED", "FORWARDED", owner, prod});
  at += minutes(60, 8 * 60);
  if (scheduled_production) next_slot(s.collection_production_import_every);
  import_into(prod, std::nullopt, false, scheduled_production ? ImportType::Automatic : ImportType::Manual);
}

void Landscape::plan_until(EpochMillis now) {
  // A transport's events all happen at or after its start: planning every transport that has
  // started by `now` is enough to release everything up to `now` in order.
  for (;;) {
    if (settings_.transport_count && next_transport_ >= *settings_.transport_count) return;
    const EpochMillis start =
        settings_.start_time +
        static_cast<EpochMillis>(next_transport_ * kMinute / settings_.transports_per_minute);
    if (start > now) return;
    plan_transport(next_transport_++);
  }
}

std::vector<AtoEvent> Landscape::release_until(EpochMillis now) {
  plan_until(now);
  std::vector<AtoEvent> released;
  while (!pending_.empty() && pending_.top().at <= now) {
    AtoEvent e = pending_.top().event;
    pending_.pop();
    e.sequence = next_sequence_++;
    released.push_back(std::move(e));
  }
  return released;
}

bool Landscape::done() const {
  return settings_.transport_count && next_transport_ >= *settings_.transport_count && pending_.empty();
}

}  // namespace ato::sim
