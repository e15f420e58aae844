// The fake Cloud ALM's router: which part answers which path, token faults that run on a clock,
// and the OData-Version header of every answer under /api.
#include "simulator/alm/cloud_alm.hpp"

#include <fmt/format.h>

#include "simulator/alm/answers.hpp"
#include "simulator/odata.hpp"

namespace ato::sim {

AlmSettings default_alm_settings() {
  AlmSettings s;
  s.push_paths = {{Service::Export, "/api/calm-deployments/v1/ato/exports"},
                  {Service::Import, "/api/calm-deployments/v1/ato/imports"},
                  {Service::StatusChange, "/api/calm-deployments/v1/ato/status-changes"}};
  return s;
}

CloudAlm::CloudAlm(AlmSettings settings, TokenAuthority& tokens, FaultInjector& faults)
    : settings_(std::move(settings)),
      tokens_(tokens),
      faults_(faults),
      started_at_(now_epoch_millis()),
      store_(settings_.journal_file, settings_.journal_memory_events),
      push_api_(settings_, store_, tokens_, faults_, registry_),
      features_api_(store_, tokens_, settings_.sandbox_api_key, settings_.features_page_size),
      landscape_api_(registry_, tokens_),
      sim_endpoints_(settings_, store_, tokens_, faults_) {}

void CloudAlm::apply_periodic_faults(EpochMillis now) {
  if (!faults_.has_periodic()) {
    tokens_.set_early_expiry(std::chrono::milliseconds(0));
    return;
  }
  if (auto rule = faults_.periodic("token", FaultKind::RevokeEvery)) {
    const EpochMillis period = rule->min.count();
    const EpochMillis epoch = started_at_ + (now - started_at_) / period * period;
    std::lock_guard lock(revocation_mutex_);
    if (epoch > started_at_ && epoch > revoked_epoch_) {
      revoked_epoch_ = epoch;
      tokens_.revoke_all(epoch);
      faults_.count("token", 1);
    }
  }
  const auto expiry = faults_.periodic("token", FaultKind::ExpireAfter);
  tokens_.set_early_expiry(expiry ? expiry->min : std::chrono::milliseconds(0));
}

net::HttpResponse CloudAlm::handle(const net::HttpRequest& request) {
  auto response = route(request);
  // The API is OData v4: every answer under /api says so, errors too.
  if (request.path.starts_with("/api/") || request.path.starts_with(FeaturesApi::kSandboxRoot))
    response.header("OData-Version", "4.0");
  return response;
}

net::HttpResponse CloudAlm::handle_certified(const net::HttpRequest& request) {
  const EpochMillis now = now_epoch_millis();
  apply_periodic_faults(now);
  if (request.path != "/oauth/token")
    return odata_error(404, "NOT_FOUND",
                       fmt::format("No resource at {} (the mTLS host serves /oauth/token)", request.path));
  return token(request, now, ClientProof::Certificate);
}

net::HttpResponse CloudAlm::token(const net::HttpRequest& request, EpochMillis now, ClientProof proof) {
  const auto decision = faults_.decide("token");
  if (decision.status) return injected_error(decision);
  auto response = tokens_.handle_token_request(request, now, proof);
  decision.shape(response);
  return response;
}

net::HttpResponse CloudAlm::route(const net::HttpRequest& request) {
  const EpochMillis now = now_epoch_millis();
  apply_periodic_faults(now);
  if (request.path == "/token_keys") return tokens_.handle_token_keys(request);
  if (request.path == "/.well-known/openid-configuration")
    return tokens_.handle_openid_configuration(request);
  if (request.path == "/oauth/token") return token(request, now, ClientProof::Secret);
  for (const auto& [service, path] : settings_.push_paths) {
    if (request.path != path) continue;
    if (request.method != "POST") return odata_error(405, "METHOD_NOT_ALLOWED", "Push packages with POST");
    if (auto refused = refuse_non_json(request)) return *refused;
    return push_api_.push(request, service, now);
  }
  if (request.path.starts_with(FeaturesApi::kRoot)) return features_api_.handle(request, now);
  if (request.path.starts_with(FeaturesApi::kSandboxRoot)) return features_api_.handle_sandbox(request);
  if (request.path.starts_with("/api/calm-lms/")) return landscape_api_.handle(request, now);
  if (request.path.starts_with("/sim/"))
    if (auto answer = sim_endpoints_.handle(request)) return std::move(*answer);
  return odata_error(404, "NOT_FOUND", fmt::format("No resource at {}", request.path));
}

}  // namespace ato::sim
