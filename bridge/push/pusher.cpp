#include "bridge/push/pusher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

std::string new_package_id() {
  // Seeded once from the OS, then no system call per id (boost's random_generator makes a getrandom
  // call for every UUID: 9% of the load test's CPU). A package id must be unique, not secret.
  thread_local boost::uuids::random_generator_mt19937 generate;
  return boost::uuids::to_string(generate());
}

// The path of the tenant's arrangement for the service (the first tenant's when it names none).
std::string path_of(const BridgeConfig& config, const std::string& tenant, Service service) {
  const TenantConfig* t = config.tenant(tenant);
  if (!t && !config.tenants.empty()) t = &config.tenants.front();
  if (!t)
    return std::string(service == Service::Export   ? kDefaultExportPath
                       : service == Service::Import ? kDefaultImportPath
                                                    : kDefaultStatusChangePath);
  switch (service) {
    case Service::Export:
      return t->export_service.path;
    case Service::Import:
      return t->import_service.path;
    case Service::StatusChange:
      break;
  }
  return t->status_change_service.path;
}

std::vector<Settlement> retry_all(const std::vector<ClaimedEvent>& events, int status,
                                  const std::string& why) {
  std::vector<Settlement> out;
  for (const auto& e : events) out.push_back(Settlement::retry(e.id, status, why));
  return out;
}

// Events that were not sent (no token, stopping, the rest of a split after a pause) or whose send
// was cancelled go back as they were: no attempt spent.
asio::awaitable<void> give_back(const std::vector<ClaimedEvent>& events, const SettleFn& settle,
                                PushOutcome& outcome) {
  PushVerdict released;
  for (const auto& e : events) released.settlements.push_back(Settlement::release(e.id));
  co_await settle(events, released, outcome);
}

}  // namespace

Pusher::Pusher(net::HttpClient& client, TokenCache& tokens, const BridgeConfig& config,
               std::function<EpochMillis()> clock, Permits* permits, std::function<bool()> stopping)
    : client_(client),
      tokens_(tokens),
      config_(config),
      clock_(std::move(clock)),
      permits_(permits),
      stopping_(std::move(stopping)) {}

asio::awaitable<PushOutcome> Pusher::send(std::string tenant, std::vector<ClaimedEvent> events,
                                          SettleFn settle) {
  PushOutcome outcome;
  if (!events.empty()) co_await push_events(tenant, std::move(events), settle, outcome);
  co_return outcome;
}

asio::awaitable<void> Pusher::push_events(const std::string& tenant, std::vector<ClaimedEvent> events,
                                          const SettleFn& settle, PushOutcome& outcome) {
  const Service service = events.front().service;
  const std::string url = push_url(config_.cloud_alm, path_of(config_, tenant, service));
  const std::string body = package_body(new_package_id(), service, clock_(), events);
  for (int round = 0;; ++round) {
    std::string authorization;
    bool no_token = false;
    try {
      authorization = co_await tokens_.authorization();
    } catch (const TokenError& e) {
      outcome.problem = e.what();
      outcome.token_problem = e.what();
      outcome.paused = e.kind() == TokenError::Kind::BadCredentials;
      // Any other failure counts against the breaker: workers wait instead of claiming and
      // releasing packages in a loop while no token can be had.
      outcome.cloud_alm_trouble = !outcome.paused;
      no_token = true;
    }
    if (no_token) {  // nothing was sent: the events go back without spending an attempt
      co_await give_back(events, settle, outcome);
      co_return;
    }
    net::ClientRequest request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Authorization", authorization},
                       {"Content-Type", "application/json"},
                       {"Accept", "application/json"}};
    request.body = body;
    PushVerdict verdict;
    bool cancelled = false;
    Permits::Held on_the_wire;  // given back before the settle: another worker sends meanwhile
    if (permits_) on_the_wire = co_await permits_->acquire();
    if (stopping_ && stopping_()) {  // stopping: only what is on the wire already may finish
      on_the_wire.reset();
      co_await give_back(events, settle, outcome);
      co_return;
    }
    const auto started = std::chrono::steady_clock::now();
    ++outcome.requests;
    try {
      const auto response = co_await client_.send(std::move(request));
      outcome.request_latencies.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
      outcome.last_status = response.status;
      outcome.answered = true;
      verdict = classify_answer(response.status, response.body, response.header("Retry-After"), events,
                                clock_(), response.header("Location"));
    } catch (const net::HttpClientError& e) {
      outcome.last_status = 0;
      cancelled = e.kind() == net::HttpClientError::Kind::Cancelled;
      if (!cancelled) verdict = classify_no_answer(e.what(), events);
    }
    on_the_wire.reset();
    if (cancelled) {  // shutting down: not the events' fault
      co_await give_back(events, settle, outcome);
      co_return;
    }
    outcome.cloud_alm_trouble = outcome.cloud_alm_trouble || verdict.cloud_alm_trouble;
    switch (verdict.action) {
      case PushVerdict::Action::RefreshToken:
        if (tokens_.refresh_after_refusal(authorization, round)) continue;
        verdict.settlements =
            retry_all(events, 401, "Cloud ALM refused a freshly fetched token: " + verdict.reason);
        break;
      case PushVerdict::Action::Pause:
        outcome.paused = true;
        outcome.problem = verdict.reason;
        break;
      case PushVerdict::Action::Split: {
        spdlog::info("{}: Cloud ALM found a package of {} events too large (413); sending it in halves",
                     to_string(service), events.size());
        const auto half = events.begin() + static_cast<std::ptrdiff_t>(events.size() / 2);
        std::vector<ClaimedEvent> second(std::make_move_iterator(half),
                                         std::make_move_iterator(events.end()));
        events.erase(half, events.end());
        co_await push_events(tenant, std::move(events), settle, outcome);
        if (!outcome.paused)
          co_await push_events(tenant, std::move(second), settle, outcome);
        else {
          co_await give_back(second, settle, outcome);
        }
        co_return;
      }
      case PushVerdict::Action::Settle:
        break;
    }
    if (verdict.action != PushVerdict::Action::Pause && !verdict.reason.empty())
      outcome.problem = verdict.reason;
    outcome.accepted += verdict.accepted;
    outcome.duplicates += verdict.duplicates;
    outcome.rejected += verdict.rejected;
    outcome.answer_unknown_fields += verdict.unknown_fields;
    outcome.unregistered_systems.insert(verdict.unregistered_systems.begin(),
                                        verdict.unregistered_systems.end());
    co_await settle(events, verdict, outcome);
    co_return;
  }
}

}  // namespace ato::bridge
