// `ato-bridge check`: can the bridge work? The configuration, a Cloud ALM token and its scope, the
// landscape's registration, each tenant's feed with its user, the outbox: each OK, WARN or FAIL with
// the reason, as text or JSON (check_report.hpp).
#include <unistd.h>

#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "bridge/cli/check_report.hpp"
#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/cli/remote_calls.hpp"
#include "bridge/collect/feed_client.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/push/token_cache.hpp"
#include "core/log.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

asio::awaitable<void> check_registration(const BridgeConfig& config, net::HttpClient& client,
                                         TokenCache& tokens, CheckReport& report) {
  LandscapeClient landscape(client, tokens, config);
  try {
    const auto systems = co_await systems_to_register(config, landscape, {}, std::nullopt);
    const auto registered = co_await landscape.registered();
    for (const auto& [system, role] : systems) {
      const auto it = std::find_if(registered.begin(), registered.end(),
                                   [&](const LmsSystem& r) { return r.system == system; });
      if (it != registered.end())
        report.ok(system.key() + " is registered in Landscape Management as " + it->service_id);
      else
        report.fail(system.key() +
                    " is not registered in Landscape Management: Cloud ALM refuses its events "
                    "(MSG_SLIS_NOT_FOUND_IN_LMS); run ato-bridge register");
    }
  } catch (const std::exception& e) {
    report.warn("landscape registration not checked: " + redact(e.what()));
  }
}

// Why `run` could not create an outbox at `path` (its directory is missing, not one, or not
// writable by this user), or nothing. `run` creates the file, never the directory.
std::optional<std::string> cannot_create_outbox(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec))
    return fmt::format("its directory {} does not exist; create it (the service's StateDirectory does)",
                       dir.string());
  if (!std::filesystem::is_directory(dir, ec)) return fmt::format("{} is not a directory", dir.string());
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return fmt::format(
        "its directory {} is not writable by this user (uid {}); run as the user the bridge "
        "runs as, or give it the directory",
        dir.string(), ::geteuid());
  return std::nullopt;
}

// Every check, each result into `report` (configuration, token and scope, registration, each
// tenant's feed, the outbox).
void check_into(const std::string& config_file, CheckReport& report) {
  BridgeConfig config;
  try {
    config = load_config(config_file);
  } catch (const std::exception& e) {
    report.fail("configuration: " + redact(e.what()));
    return;
  }
  report.ok("configuration: " + config.config_file.string());
  for (const auto& w : config.warnings) report.warn(w);
  run_sync<int>([&](asio::io_context& context) -> asio::awaitable<int> {
    std::optional<net::HttpClient> client;
    try {
      client.emplace(context, tls_options(config));
    } catch (const std::exception& e) {
      report.fail("TLS: " + redact(e.what()));
      co_return 0;
    }
    TokenCache tokens(*client, config.cloud_alm, now_epoch_millis);
    try {
      const TokenInfo token = co_await tokens.fetch();
      report.ok("Cloud ALM token from " + config.cloud_alm.token_endpoint + ": scope '" + token.scope + "'");
      if (token.scope.find("manage") == std::string::npos)
        report.warn("the token carries no manage scope: Cloud ALM will refuse pushes with 403");
    } catch (const std::exception& e) {
      report.fail("Cloud ALM token: " + redact(e.what()));
    }
    co_await check_registration(config, *client, tokens, report);
    for (const auto& tenant : config.tenants) {  // each tenant's arrangement on its own
      FeedClient feed(*client, tenant.ato);
      try {
        const auto head = co_await feed.head(Service::Export);
        report.ok(fmt::format("tenant {}: ATO feed {} as user '{}': head sequence {}", tenant.name,
                              tenant.ato.feed_url, tenant.ato.user, head));
      } catch (const std::exception& e) {
        report.fail("tenant " + tenant.name + ": ATO feed: " + redact(e.what()));
      }
    }
    co_return 0;
  });
  const std::string where = "outbox " + config.outbox.path.string();
  try {
    const auto options = outbox_options(config, OutboxAccess::Read);
    if (!std::filesystem::exists(config.outbox.path) &&
        !outbox_lived_here(config.outbox.path, options.used_before)) {
      if (const auto problem = cannot_create_outbox(config.outbox.path))
        report.fail(where + ": none yet, and `ato-bridge run` cannot create it: " + *problem);
      else
        report.ok(where + ": none yet, the first `ato-bridge run` creates it");
    } else {
      Outbox outbox(options);
      const auto problems = outbox.check_integrity();
      if (problems.empty())
        report.ok(fmt::format("{} (schema {}, integrity checked)", where, outbox.schema_version()));
      for (std::size_t i = 0; i < problems.size(); ++i)
        report.fail(where + ": " + problems[i],
                    i + 1 == problems.size() ? damaged_outbox_advice(config.outbox.path) : std::string());
    }
  } catch (const std::exception& e) {
    report.fail("outbox: " + redact(e.what()));
  }
}

int run_check(const std::string& config_file, bool as_json, std::ostream& out, std::ostream& err) {
  CheckReport report(as_json ? nullptr : &out);
  check_into(config_file, report);
  if (as_json) out << report.json() << "\n";
  if (!report.passed()) err << "ato-bridge check: at least one check failed\n";
  return report.passed() ? kExitOk : kExitFailure;
}

}  // namespace

CommandSpec check_command() {
  auto json = std::make_shared<bool>(false);
  return {{"check"},
          "Check that the bridge can work: configuration valid, a Cloud ALM token obtained (scope shown), "
          "each\n"
          "tenant's ATO feed reachable with its user, the outbox usable. Each check prints OK or FAIL with\n"
          "the reason; exit 1 when any fails.",
          {config_option(),
           option("--json", json.get(),
                  "Print {\"ok\", \"checks\": [{\"status\": ok|warn|fail, \"check\", \"detail\"}]}")},
          [json](CommandContext& c) { return run_check(c.config_file, *json, c.out, c.err); },
          {}};
}

}  // namespace ato::bridge
