#include "bridge/registration/landscape_client.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "bridge/push/classify.hpp"
#include "bridge/push/package.hpp"
#include "core/wire.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

std::string problem_of(const net::ClientResponse& response) {
  try {
    const auto error = parse_odata_error(response.body);
    return fmt::format("HTTP {}: {}: {}", response.status, error.code, error.message);
  } catch (const std::exception&) {
    return fmt::format("HTTP {}: {}", response.status, body_excerpt(response.body, 300));
  }
}

}  // namespace

std::string systems_url(const std::string& feed_url) {
  const auto query = feed_url.find('?');
  std::string base = feed_url.substr(0, query);
  const auto slash = base.rfind('/');
  return base.substr(0, slash + 1) + "Systems";
}

// (Arguments to coroutines are named variables moved in, never temporaries: GCC 12 miscompiles a
// class-type temporary passed to a coroutine.)
asio::awaitable<net::ClientResponse> LandscapeClient::call(std::string_view method, std::string_view path,
                                                           std::string body) {
  // One retry with a fresh token when Cloud ALM refuses the cached one, as pushes do.
  for (int round = 0;; ++round) {
    const std::string authorization = co_await tokens_.authorization();
    net::ClientRequest request;
    request.method = std::string(method);
    request.url = push_url(config_.cloud_alm, std::string(path));
    request.headers = {{"Authorization", authorization}, {"Accept", "application/json"}};
    if (!body.empty()) request.headers.push_back({"Content-Type", "application/json"});
    request.body = body;
    net::ClientResponse response;
    try {
      response = co_await client_.send(std::move(request));
    } catch (const net::HttpClientError& e) {
      throw LandscapeError(fmt::format("Cloud ALM's Landscape Management unreachable: {}", e.what()));
    }
    if (response.status == 401 && tokens_.refresh_after_refusal(authorization, round)) continue;
    co_return response;
  }
}

asio::awaitable<LmsRegistration> LandscapeClient::register_system(const SystemRef& system, SystemRole role,
                                                                  const std::optional<std::string>& suffix) {
  std::string body = to_json(LmsRequest{system, role, suffix});
  const auto response = co_await call("POST", kLmsRegisterPath, std::move(body));
  if (response.status != 200)
    throw LandscapeError(fmt::format("registering {} failed: {}", system.key(), problem_of(response)));
  co_return parse_lms_registration(response.body);
}

asio::awaitable<LmsRegistration> LandscapeClient::offboard(const SystemRef& system) {
  std::string body = to_json(LmsRequest{system, {}, {}});
  const auto response = co_await call("POST", kLmsOffboardPath, std::move(body));
  if (response.status != 200)
    throw LandscapeError(fmt::format("offboarding {} failed: {}", system.key(), problem_of(response)));
  co_return parse_lms_registration(response.body);
}

asio::awaitable<std::vector<LmsSystem>> LandscapeClient::registered() {
  std::string no_body;
  const auto response = co_await call("GET", kLmsSystemsPath, std::move(no_body));
  if (response.status != 200)
    throw LandscapeError(
        fmt::format("listing Landscape Management's systems failed: {}", problem_of(response)));
  co_return parse_lms_systems(response.body);
}

// Every tenant's feed lists the landscape's systems; the union of what they answer (a tenant that
// cannot answer now does not keep the others' systems from being registered).
asio::awaitable<std::vector<AtoSystem>> LandscapeClient::landscape_systems() {
  std::vector<AtoSystem> systems;
  std::vector<std::string> problems;
  bool answered = false;
  for (const auto& tenant : config_.tenants) {
    try {
      for (auto& system : co_await tenant_systems(tenant)) {
        const bool known = std::any_of(systems.begin(), systems.end(),
                                       [&](const AtoSystem& s) { return s.system == system.system; });
        if (!known) systems.push_back(std::move(system));
      }
      answered = true;
    } catch (const LandscapeError& e) {
      problems.push_back(e.what());
    }
  }
  if (!answered)
    throw LandscapeError(
        fmt::format("{}{}", problems.empty() ? "no tenant is configured" : problems.front(),
                    problems.size() > 1 ? fmt::format(" (and {} more)", problems.size() - 1) : ""));
  co_return systems;
}

asio::awaitable<std::vector<AtoSystem>> LandscapeClient::tenant_systems(const TenantConfig& tenant) {
  net::ClientRequest request;
  const std::string url = systems_url(tenant.ato.feed_url);
  request.url = url;
  request.headers = {
      {"Authorization", net::basic_authorization(tenant.ato.user, tenant.ato.password.reveal())},
      {"Accept", "application/json"}};
  net::ClientResponse response;
  try {
    response = co_await client_.send(std::move(request));
  } catch (const net::HttpClientError& e) {
    throw LandscapeError(fmt::format("tenant {}: the ATO feed is unreachable: {}", tenant.name, e.what()));
  }
  if (response.status != 200)
    throw LandscapeError(
        fmt::format("tenant {}: the ATO feed lists no systems at {} ({}): name them with --system SID~CLIENT "
                    "or in the configuration's registration.systems",
                    tenant.name, url, problem_of(response)));
  co_return parse_ato_systems(response.body);
}

}  // namespace ato::bridge
