#include "bridge/cli/remote_calls.hpp"

#include <algorithm>

#include "bridge/config/client_options.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

net::ClientOptions tls_options(const BridgeConfig& config) {
  net::ClientOptions options = client_options_of(config);
  options.timeout = std::min<std::chrono::milliseconds>(config.push.timeout, std::chrono::seconds(15));
  return options;
}

std::optional<net::ClientResponse> call_admin(const RunInfo& bridge, const BridgeConfig& config,
                                              const std::string& method, const std::string& path) {
  return run_sync<std::optional<net::ClientResponse>>(
      [&](asio::io_context& context) -> asio::awaitable<std::optional<net::ClientResponse>> {
        net::ClientOptions options;
        options.timeout = std::chrono::seconds(5);
        net::HttpClient client(context, options);
        net::ClientRequest request;  // named: GCC 12 mishandles a braced temporary as a coroutine argument
        request.method = method;
        request.url = bridge.admin_url + path;
        if (!config.admin.token.empty())
          request.headers.push_back({"Authorization", "Bearer " + config.admin.token.reveal()});
        std::optional<net::ClientResponse> response;
        try {
          response = co_await client.send(std::move(request));
        } catch (const net::HttpClientError&) {
        }
        co_return response;
      });
}

asio::awaitable<std::vector<std::pair<SystemRef, SystemRole>>> systems_to_register(
    const BridgeConfig& config, LandscapeClient& landscape, const std::vector<std::string>& named,
    const std::optional<std::string>& role_name) {
  std::optional<SystemRole> role;
  if (role_name) {
    role = value_of(kSystemRoleNames, *role_name);
    if (!role)
      throw std::runtime_error("--role: expected " + one_of(kSystemRoleNames) + ", got '" + *role_name + "'");
  }
  if (named.empty() && !config.registration.systems.empty()) co_return config.registration.systems;
  std::optional<std::vector<AtoSystem>> listed;
  if (named.empty()) {
    listed = co_await landscape.landscape_systems();
    std::vector<std::pair<SystemRef, SystemRole>> out;
    for (const auto& s : *listed) out.emplace_back(s.system, s.role);
    co_return out;
  }
  std::vector<std::pair<SystemRef, SystemRole>> out;
  for (const auto& text : named) {
    const auto system = parse_system_ref(text);
    if (!system) throw std::runtime_error("--system: expected SID~CLIENT like S4D~080, got '" + text + "'");
    std::optional<SystemRole> system_role = role;
    for (const auto& [known, known_role] : config.registration.systems)
      if (!system_role && known == *system) system_role = known_role;
    if (!system_role) {
      if (!listed) {
        try {
          listed = co_await landscape.landscape_systems();
        } catch (const LandscapeError&) {
          listed.emplace();
        }
      }
      for (const auto& s : *listed)
        if (!system_role && s.system == *system) system_role = s.role;
    }
    if (!system_role)
      throw std::runtime_error("the role of " + text +
                               " is not known: give --role development|test|production");
    out.emplace_back(*system, *system_role);
  }
  co_return out;
}

}  // namespace ato::bridge
