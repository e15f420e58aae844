// `ato-bridge config init`: a complete configuration, every default spelled out, from a Cloud ALM
// service key and the tenants (--tenant, --from-sim, or a single feed). The `config` group is here too.
#include <cctype>
#include <memory>
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/log.hpp"
#include "core/time.hpp"

namespace ato::bridge {

namespace {

struct InitArgs {
  InitOptions options;
  bool force = false;  // overwrite --out
  std::string out, ca_file, service_key, run_every = "5m";
  std::vector<std::string> tenants;  // NAME,FEED_URL,USER,PASSWORD_ENV
  std::string from_sim;
  InitTenant single{std::string(kDefaultTenant), "", "", ""};
};

// `config init --from-sim`: the tenants an ato-sim ready file lists, each password from the
// environment variable ATO_PASSWORD_<name, non-alphanumerics as _>.
std::vector<InitTenant> tenants_from_sim_ready_file(const std::filesystem::path& file) {
  const std::string text = read_text_file(file);
  simdjson::dom::parser parser;
  const JsonObjectReader root(parse_json(parser, text), "");
  std::vector<InitTenant> tenants;
  if (!root.has("tenants"))
    throw std::runtime_error(
        file.string() +
        " has no ATO tenants: it is the ready file of a simulator started with --only alm (a fake Cloud ALM "
        "alone). Name the feeds with --tenant NAME,FEED_URL,USER,PASSWORD_ENV (a real tenant's, or another "
        "simulator's), or give the ready file of an ato-sim serve without --only alm");
  root.array("tenants").for_each_object([&](const JsonObjectReader& t, std::size_t) {
    std::string name(t.string("name"));
    std::string env = "ATO_PASSWORD_";
    for (char ch : name) env += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
    tenants.push_back({name, std::string(t.string("feed_url")), std::string(t.string("user")), env});
  });
  if (tenants.empty()) throw std::runtime_error(file.string() + " lists no tenants");
  return tenants;
}

// The tenants, from --tenant, --from-sim or the single-feed options; a problem in words.
std::string tenants_from_options(InitArgs& a) {
  const bool single = !a.single.feed_url.empty() || !a.single.user.empty() || !a.single.password_env.empty();
  if (single + !a.tenants.empty() + !a.from_sim.empty() != 1)
    return "name the tenants one way: --tenant (repeated), --from-sim READY_FILE, or --ato-url with "
           "--ato-user and --ato-password-env";
  if (single) {
    if (a.single.feed_url.empty() || a.single.user.empty() || a.single.password_env.empty())
      return "--ato-url, --ato-user and --ato-password-env go together";
    a.options.tenants.push_back(a.single);
    return "";
  }
  for (const auto& spec : a.tenants) {
    std::vector<std::string> parts;
    std::string_view rest = spec;
    while (true) {
      const auto comma = rest.find(',');
      parts.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
    if (parts.size() != 4) return "--tenant '" + spec + "': expected NAME,FEED_URL,USER,PASSWORD_ENV";
    a.options.tenants.push_back({parts[0], parts[1], parts[2], parts[3]});
  }
  if (!a.from_sim.empty()) {
    try {
      a.options.tenants = tenants_from_sim_ready_file(a.from_sim);
    } catch (const std::exception& e) {
      return std::string("--from-sim: ") + e.what();
    }
  }
  return "";
}

int run_config_init(InitArgs& a, CommandContext& c) {
  a.options.service_key_file = a.service_key;
  if (!a.ca_file.empty()) a.options.ca_file = a.ca_file;
  if (!a.out.empty()) a.options.out = a.out;
  a.options.run_every = *parse_duration(a.run_every);
  if (const auto problem = tenants_from_options(a); !problem.empty()) {
    c.err << "ato-bridge config init: " << problem << "\n";
    return kExitUsage;
  }
  auto& out = c.out;
  auto& err = c.err;
  const auto& options = a.options;
  const std::string json = init_config_json(options);
  if (!options.out) {
    out << json;
    return kExitOk;
  }
  // The file holds no secret (the password comes from an environment variable), but it names
  // where secrets live: keep it private like the service key.
  write_file_atomically(*options.out, json, 0600, a.force ? Overwrite::Yes : Overwrite::No);
  err << "wrote " << options.out->string() << " (" << options.tenants.size() << " tenant(s))\nnext: export";
  for (const auto& t : options.tenants) err << " " << t.password_env << "=...";
  err << " (each tenant's communication user password), then ato-bridge config check --config "
      << options.out->string() << "\n";
  return kExitOk;
}

}  // namespace

CommandSpec config_group() {
  return group({"config"}, "Write a starting configuration, or validate one");
}

CommandSpec config_init_command() {
  auto a = std::make_shared<InitArgs>();
  return {{"config", "init"},
          "Write a complete bridge configuration, every default spelled out, from a Cloud ALM service key\n"
          "(the JSON downloaded from the SAP BTP cockpit) and the tenants: SAP's guide sets up SAP_COM_0690\n"
          "per tenant, so name each with --tenant (or all of a simulated landscape with --from-sim), or a\n"
          "single feed with --ato-url, --ato-user and --ato-password-env.",
          {option("--service-key", &a->service_key, "Cloud ALM API service key JSON, as downloaded")
               .needed()
               .check(ValueCheck::existing_file()),
           option("--tenant", &a->tenants,
                  "NAME,FEED_URL,USER,PASSWORD_ENV: one tenant's SAP_COM_0690 arrangement (its ATO feed,\n"
                  "communication user, and the environment variable that will hold its password).\n"
                  "Repeat it for every tenant of the landscape (development, test, production)"),
           option("--from-sim", &a->from_sim,
                  "An ato-sim ready file: one tenant per simulated tenant, passwords from\n"
                  "ATO_PASSWORD_<NAME> (e.g. ATO_PASSWORD_S4D_080)")
               .check(ValueCheck::existing_file()),
           option("--ato-url", &a->single.feed_url,
                  "A single feed (one tenant named 'default'): URL of the ATO event feed"),
           option("--ato-user", &a->single.user, "With --ato-url: its communication user"),
           option("--ato-password-env", &a->single.password_env,
                  "With --ato-url: the environment variable that will hold that user's password"),
           option("--ca-file", &a->ca_file, "PEM file of CAs to trust (default: the system's CA store)")
               .check(ValueCheck::existing_file()),
           option("--run-every", &a->run_every, "Schedule of every outbound service's job (SAP: 5m)")
               .check(duration_check())
               .with_default(),
           option("--admin-listen", &a->options.admin_listen,
                  "The admin endpoint's address (health, status, metrics, tick); 127.0.0.1:0 takes any free "
                  "port, which the run file names for status and tick")
               .with_default(),
           option("--out", &a->out, "Write here (mode 0600) instead of standard output"),
           option("--force", &a->force, "Overwrite --out if it exists")},
          [a](CommandContext& c) { return run_config_init(*a, c); },
          {}};
}

}  // namespace ato::bridge
