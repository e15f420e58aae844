// `ato-bridge register` and `unregister`: the landscape's systems in Cloud ALM's Landscape Management.
#include <fmt/format.h>

#include <memory>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/cli/remote_calls.hpp"
#include "bridge/push/token_cache.hpp"
#include "core/log.hpp"

namespace ato::bridge {
namespace asio = boost::asio;

namespace {

struct RegisterCommand {
  std::vector<std::string> systems;  // SID~CLIENT; empty: the configuration's, else the ATO feed's list
  std::optional<std::string> role;   // development, test, production (for --system not otherwise known)
  std::optional<std::string> suffix;
  bool unregister = false;
};

// Each system's service ID and what happened; exit 1 if any failed.
int run_register(const RegisterCommand& c, CommandContext& context) {
  auto& out = context.out;
  auto& err = context.err;
  const char* name = c.unregister ? "unregister" : "register";
  BridgeConfig config;
  try {
    config = load_config(context.config_file);
  } catch (const std::exception& e) {
    return context.failed(name, e);
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

}  // namespace

CommandSpec register_command() {
  auto a = std::make_shared<RegisterCommand>();
  return {
      {"register"},
      "Register the landscape's systems in Cloud ALM's Landscape Management (same token and TLS as "
      "pushing),\n"
      "so Cloud ALM accepts their events: each appears there as ATO_<SID>_<client>[_<suffix>]. Without\n"
      "--system: the configuration's registration.systems, else the systems the ATO feed lists.\n"
      "Registering again changes nothing.",
      {config_option(), option("--system", &a->systems, "A system as SID~CLIENT, e.g. S4D~080 (repeatable)"),
       option("--role", &a->role, "The systems' role: development, test or production")
           .check(ValueCheck::one_of({"development", "test", "production"})),
       option("--suffix", &a->suffix, "Appended to the service ID: ATO_<SID>_<client>_<suffix>")},
      [a](CommandContext& c) { return run_register(*a, c); },
      {}};
}

CommandSpec unregister_command() {
  auto a = std::make_shared<RegisterCommand>();
  a->unregister = true;
  return {
      {"unregister"},
      "Offboard systems from Landscape Management: Cloud ALM refuses their events from then on",
      {config_option(), option("--system", &a->systems, "A system as SID~CLIENT, e.g. S4D~080 (repeatable)")},
      [a](CommandContext& c) { return run_register(*a, c); },
      {}};
}

}  // namespace ato::bridge
