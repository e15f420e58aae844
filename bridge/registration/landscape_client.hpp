// Landscape registration from the bridge's side: register and offboard systems in Cloud ALM's
// Landscape Management and list what is registered (with the same token and TLS as pushing), and
// read which systems the ATO landscape has (the feed's Systems entity set, where it exists).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/push/token_cache.hpp"
#include "core/lms.hpp"
#include "core/net/http_client.hpp"

namespace ato::bridge {

// A registration call failed. what() says what Cloud ALM (or the feed) answered.
class LandscapeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LandscapeClient {
 public:
  LandscapeClient(net::HttpClient& client, TokenCache& tokens, const BridgeConfig& config)
      : client_(client), tokens_(tokens), config_(config) {}

  boost::asio::awaitable<LmsRegistration> register_system(const SystemRef& system, SystemRole role,
                                                          const std::optional<std::string>& suffix);
  boost::asio::awaitable<LmsRegistration> offboard(const SystemRef& system);
  boost::asio::awaitable<std::vector<LmsSystem>> registered();
  // The ATO landscape's systems (GET <feed>/../Systems); LandscapeError when the feed has no such list.
  boost::asio::awaitable<std::vector<AtoSystem>> landscape_systems();
  // One tenant's answer (landscape_systems() asks every tenant).
  boost::asio::awaitable<std::vector<AtoSystem>> tenant_systems(const TenantConfig& tenant);

 private:
  boost::asio::awaitable<net::ClientResponse> call(std::string_view method, std::string_view path,
                                                   std::string body);

  net::HttpClient& client_;
  TokenCache& tokens_;
  const BridgeConfig& config_;
};

// The feed's sibling entity set: .../v1/Events -> .../v1/Systems.
std::string systems_url(const std::string& feed_url);

}  // namespace ato::bridge
