#include "bridge/cli/config_commands.hpp"

#include <ostream>

#include <cctype>

#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/log.hpp"

namespace ato::bridge {

int run_config_init(const InitCommand& command, std::ostream& out, std::ostream& err) {
  try {
    const std::string json = init_config_json(command.options);
    if (!command.options.out) {
      out << json;
      return kExitOk;
    }
    // The file holds no secret (the password comes from an environment variable), but it names
    // where secrets live: keep it private like the service key.
    write_file_atomically(*command.options.out, json, 0600, command.force ? Overwrite::Yes : Overwrite::No);
    err << "wrote " << command.options.out->string() << " (" << command.options.tenants.size()
        << " tenant(s))\nnext: export";
    for (const auto& t : command.options.tenants) err << " " << t.password_env << "=...";
    err << " (each tenant's communication user password), then ato-bridge config check --config "
        << command.options.out->string() << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge config init: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

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

int run_config_check(const CheckCommand& command, std::ostream& out, std::ostream& err) {
  try {
    const BridgeConfig config = load_config(command.config_file);
    out << (command.json ? effective_config_json(config) : effective_config_text(config));
    return kExitOk;
  } catch (const std::exception& e) {
    err << "ato-bridge config check: error: " << redact(e.what()) << "\n";
    return kExitFailure;
  }
}

}  // namespace ato::bridge
