// What the short-lived commands (check, status, tick, register) use to talk to Cloud ALM, the
// feeds and a running bridge: one coroutine run to its end, the TLS settings, the admin endpoint,
// and which systems to register.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/config.hpp"
#include "bridge/registration/landscape_client.hpp"
#include "bridge/runtime/run_file.hpp"
#include "core/net/http_client.hpp"

namespace ato::bridge {

// Runs one coroutine to completion on a private io_context (these commands are not servers).
template <typename T>
T run_sync(std::function<boost::asio::awaitable<T>(boost::asio::io_context&)> task) {
  boost::asio::io_context context;
  auto future = boost::asio::co_spawn(context, task(context), boost::asio::use_future);
  context.run();
  return future.get();
}

// The TLS settings of the configuration, with a timeout for a command that waits on it.
net::ClientOptions tls_options(const BridgeConfig& config);

// A request to the running bridge's admin endpoint; nothing when it does not answer.
std::optional<net::ClientResponse> call_admin(const RunInfo& bridge, const BridgeConfig& config,
                                              const std::string& method, const std::string& path);

// The systems to register or check: named ones (roles from --role, the configuration or the feed's
// list), else the configuration's, else the ATO feed's list of its systems.
boost::asio::awaitable<std::vector<std::pair<SystemRef, SystemRole>>> systems_to_register(
    const BridgeConfig& config, LandscapeClient& landscape, const std::vector<std::string>& named,
    const std::optional<std::string>& role_name);

}  // namespace ato::bridge
