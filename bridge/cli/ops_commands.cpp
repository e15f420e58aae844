// `ato-bridge check`, `status`, `tick` and `register`: short-lived commands beside a running
// bridge (or none). They read the outbox directly (SQLite allows readers beside the one writer) and
// talk to a running bridge through its admin endpoint.
#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <unistd.h>

#include <ostream>
#include <sstream>

#include "bridge/cli/check_report.hpp"
#include "bridge/cli/commands.hpp"
#include "bridge/collect/feed_client.hpp"
#include "bridge/config/client_options.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/push/token_cache.hpp"
#include "bridge/registration/landscape_client.hpp"
#include "bridge/runtime/run_file.hpp"
#include "bridge/runtime/status.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

// Runs one coroutine to completion on a private io_context (these commands are not servers).
template <typename T>
T run_sync(std::function<asio::awaitable<T>(asio::io_context&)> task) {
  asio::io_context context;
  auto future = asio::co_spawn(context, task(context), asio::use_future);
  context.run();
  return future.get();
}

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
        if (!config.admin_token.empty())
          request.headers.push_back({"Authorization", "Bearer " + config.admin_token.reveal()});
        std::optional<net::ClientResponse> response;
        try {
          response = co_await client.send(std::move(request));
        } catch (const net::HttpClientError&) {
        }
        co_return response;
      });
}

}  // namespace

namespace {

// The systems to register or check: named ones (roles from --role, the configuration or the feed's
// list), else the configuration's, else the ATO feed's list of its systems.
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

}  // namespace

OutboxOptions outbox_options(const BridgeConfig& config, OutboxAccess access) {
  OutboxOptions options;
  options.path = config.outbox_path;
  options.access = access;
  options.durability_full = config.durability == Durability::Full;
  std::error_code ec;
  options.used_before = std::filesystem::exists(lock_file_path(config.outbox_path), ec);
  return options;
}

namespace {

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

}  // namespace

namespace {

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
  const std::string where = "outbox " + config.outbox_path.string();
  try {
    const auto options = outbox_options(config, OutboxAccess::Read);
    if (!std::filesystem::exists(config.outbox_path) &&
        !outbox_lived_here(config.outbox_path, options.used_before)) {
      if (const auto problem = cannot_create_outbox(config.outbox_path))
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
                    i + 1 == problems.size() ? damaged_outbox_advice(config.outbox_path) : std::string());
    }
  } catch (const std::exception& e) {
    report.fail("outbox: " + redact(e.what()));
  }
}

}  // namespace

int run_check(const std::string& config_file, bool as_json, std::ostream& out, std::ostream& err) {
  CheckReport report(as_json ? nullptr : &out);
  check_into(config_file, report);
  if (as_json) out << report.json() << "\n";
  if (!report.passed()) err << "ato-bridge check: at least one check failed\n";
  return report.passed() ? kExitOk : kExitFailure;
}

int run_check(const std::string& config_file, std::ostream& out, std::ostream& err) {
  return run_check(config_file, false, out, err);
}

int run_status(const std::string& config_file, bool json, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config_without_secrets(config_file);
    std::string document;
    if (auto bridge = find_running_bridge(config.outbox_path)) {
      auto response = call_admin(*bridge, config, "GET", "/status");
      if (response && response->status == 401)
        err << "ato-bridge status: the running bridge refused the admin token (" << config.admin_token_source
            << "): showing what the outbox says\n";
      if (response && response->status == 200) document = response->body;
    }
    const auto options = outbox_options(config, OutboxAccess::Read);
    if (document.empty() && !std::filesystem::exists(config.outbox_path) &&
        !outbox_lived_here(config.outbox_path, options.used_before)) {  // read-only: nothing is created
      const std::string note = fmt::format(
          "no outbox yet at {}: no bridge has run with this configuration (`ato-bridge run` creates it)",
          config.outbox_path.string());
      if (json) {
        std::string text;
        JsonWriter writer(text);
        writer.begin_object().key("outbox").null().field("note", note).end_object();
        out << text << "\n";
      } else {
        out << note << "\n";
      }
      return kExitOk;
    }
    if (document.empty()) {
      Outbox outbox(options);
      const EpochMillis now = now_epoch_millis();
      document = status_json(config, view_of_outbox(outbox, config, now), nullptr, now);
    }
    out << (json ? document + "\n" : status_text(document));
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge status: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

int run_tick(const std::string& config_file, const std::string& service, const std::string& tenant,
             std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config_without_secrets(config_file);
    const auto bridge = find_running_bridge(config.outbox_path);
    if (!bridge) {
      err << "ato-bridge tick: no running bridge uses the outbox " << config.outbox_path.string()
          << " (start one with ato-bridge run --config " << config_file << ")\n";
      return kExitFailure;
    }
    if (!tenant.empty() && !config.tenant(tenant)) {
      err << "ato-bridge tick: no tenant '" << tenant << "' in the configuration\n";
      return kExitUsage;
    }
    // (tenant names are letters, digits and ~ . _ -: nothing to encode in a query)
    const auto response =
        call_admin(*bridge, config, "POST", "/tick/" + service + (tenant.empty() ? "" : "?tenant=" + tenant));
    if (!response) {
      err << "ato-bridge tick: the bridge (pid " << bridge->pid << ") does not answer at "
          << bridge->admin_url << "\n";
      return kExitFailure;
    }
    if (response->status != 202) {
      err << "ato-bridge tick: " << response->body << "\n";
      return kExitFailure;
    }
    out << service << (tenant.empty() ? "" : " of tenant " + tenant) << ": job runs now\n";
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge tick: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

int run_register(const RegisterCommand& c, std::ostream& out, std::ostream& err) {
  const char* name = c.unregister ? "unregister" : "register";
  BridgeConfig config;
  try {
    config = load_config(c.config_file);
  } catch (const std::exception& e) {
    err << "ato-bridge " << name << ": error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
  const auto suffix = c.suffix ? c.suffix : config.registration.suffix;
  if (suffix && !is_valid_lms_suffix(*suffix)) {
    err << "ato-bridge " << name << ": --suffix: expected 1 to 20 letters or digits\n";
    return kExitUsage;
  }
  bool ok = true;
  run_sync<int>([&](asio::io_context& context) -> asio::awaitable<int> {
    std::optional<net::HttpClient> client;
    std::optional<TokenCache> tokens;
    std::optional<LandscapeClient> landscape;
    std::vector<std::pair<SystemRef, SystemRole>> systems;
    try {
      client.emplace(context, tls_options(config));
      tokens.emplace(*client, config.cloud_alm, now_epoch_millis);
      landscape.emplace(*client, *tokens, config);
      systems = co_await systems_to_register(config, *landscape, c.systems, c.role);
    } catch (const std::exception& e) {
      err << "ato-bridge " << name << ": error: " << redact(e.what()) << "\n";
      ok = false;
      co_return 0;
    }
    for (const auto& [system, role] : systems) {
      try {
        LmsRegistration r;  // no co_await inside ?: (GCC 12 miscompiles it)
        if (c.unregister)
          r = co_await landscape->offboard(system);
        else
          r = co_await landscape->register_system(system, role, suffix);
        out << fmt::format("{:<9} {:<22} {:<19} {}\n", system.key(), r.service_id,
                           c.unregister ? (r.changed ? "offboarded" : "not registered")
                                        : (r.changed ? "registered" : "already registered"),
                           r.message);
      } catch (const std::exception& e) {
        out << fmt::format("{:<9} FAILED: {}\n", system.key(), redact(e.what()));
        ok = false;
      }
    }
    co_return 0;
  });
  return ok ? kExitOk : kExitFailure;
}

}  // namespace ato::bridge
