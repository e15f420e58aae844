// The push API: faults, token and scope, the package read strictly, then each event against the store.
#include "simulator/alm/push_api.hpp"

#include <fmt/format.h>

#include "core/json_reader.hpp"
#include "core/lms.hpp"
#include "core/wire.hpp"
#include "simulator/alm/alm_settings.hpp"
#include "simulator/alm/alm_store.hpp"
#include "simulator/alm/answers.hpp"
#include "simulator/alm/landscape_registry.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {

net::HttpResponse PushApi::push(const net::HttpRequest& request, Service service, EpochMillis now) {
  const std::string_view endpoint = service == Service::Export   ? "push.export"
                                    : service == Service::Import ? "push.import"
                                                                 : "push.status_change";
  const auto decision = faults_.decide(endpoint);
  if (decision.status) return injected_error(decision);

  const auto auth = tokens_.check(request.header("Authorization"), kManageScope, now);
  if (auth.verdict != TokenVerdict::Valid) {
    ++store_.lock()->counters()[service].auth_failures;
    auto response = auth_error(auth);
    decision.shape(response);
    return response;
  }

  PushPackage package;
  try {
    package = parse_push_package(request.body);
  } catch (const JsonError& e) {
    auto response = odata_error(400, "INVALID_PACKAGE", e.problem(),
                                e.path().empty() ? std::nullopt : std::optional(e.path()));
    decision.shape(response);
    return response;
  }
  if (package.service != service) {
    auto response = odata_error(
        400, "INVALID_PACKAGE",
        fmt::format("expected {} (this is the {} path)", to_string(service), to_string(service)), "service");
    decision.shape(response);
    return response;
  }
  if (static_cast<int>(package.events.size()) > settings_.max_package_size) {
    auto response = odata_error(
        413, "PAYLOAD_TOO_LARGE",
        fmt::format("{} events; at most {} per package", package.events.size(), settings_.max_package_size),
        "events");
    decision.shape(response);
    return response;
  }

  PushResponse answer{package.package_id, {}};
  answer.results.reserve(package.events.size());
  {
    const auto state = store_.lock();
    AlmCounters& counters = state->counters()[service];
    ++counters.packages_received;
    state->batch([&] {
      for (auto& e : package.events) {
        const auto event_uuid = uuid_of(e.event_id);  // read once: it costs ~300 instructions
        if (state->accepted(event_uuid)) {
          ++counters.events_duplicate;
          answer.results.push_back({e.event_id, EventOutcome::Duplicate, std::nullopt, std::nullopt});
          continue;
        }
        if (settings_.lms_check && !registry_.is_registered(e.source.key())) {
          ++counters.unregistered_systems;
          ++counters.events_rejected;
          answer.results.push_back(
              {e.event_id, EventOutcome::Rejected, std::string(kNotInLmsCode),
               fmt::format("System {} is not registered in Landscape Management: register it (ato-bridge "
                           "register), then send the event again",
                           e.source.key())});
          continue;
        }
        std::string event_id = e.event_id;
        if (auto rejection = state->apply(std::move(e), event_uuid, counters)) {
          ++counters.events_rejected;
          answer.results.push_back(
              {std::move(event_id), EventOutcome::Rejected, rejection->first, rejection->second});
          continue;
        }
        ++counters.events_accepted;
        answer.results.push_back({std::move(event_id), EventOutcome::Accepted, std::nullopt, std::nullopt});
      }
    });
  }
  auto response = net::HttpResponse::json(200, to_json(answer));
  decision.shape(response);
  return response;
}

}  // namespace ato::sim
