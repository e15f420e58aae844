// `config init`: a complete configuration with every default spelled out, from a service key that
// is checked first, so the user starts from a file that works.
#include <fmt/format.h>

#include "bridge/config.hpp"
#include "bridge/config/sections.hpp"
#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/url.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;

using config_file::path_for_config;
using config_file::write_common_sections;

std::string init_config_json(const InitOptions& options) {
  const fs::path config_dir =
      options.out ? fs::absolute(*options.out).lexically_normal().parent_path() : fs::current_path();
  std::string key_text;
  try {
    key_text = read_text_file(options.service_key_file);
    parse_service_key(key_text);
  } catch (const FileError& e) {
    throw ConfigError(e.what());
  } catch (const JsonError& e) {
    throw ConfigError(
        fmt::format("{}: {} (the Cloud ALM service key)", options.service_key_file.string(), e.what()));
  }
  if (auto parsed = parse_http_url(options.ato_url); std::holds_alternative<std::string>(parsed))
    throw ConfigError("--ato-url: " + std::get<std::string>(parsed));
  if (options.ato_user.empty()) throw ConfigError("--ato-user: must not be empty");
  if (options.ato_password_env.empty()) throw ConfigError("--ato-password-env: must not be empty");
  if (options.run_every < std::chrono::seconds(1)) throw ConfigError("--run-every: must be at least 1s");
  if (options.ca_file) {
    try {
      read_text_file(*options.ca_file);
    } catch (const FileError& e) {
      throw ConfigError(std::string("--ca-file: ") + e.what());
    }
  }

  BridgeConfig defaults;
  defaults.export_service.path = kDefaultExportPath;
  defaults.import_service.path = kDefaultImportPath;
  defaults.status_change_service.path = kDefaultStatusChangePath;
  for (auto* s : {&defaults.export_service, &defaults.import_service, &defaults.status_change_service,
                  &defaults.retry_service})
    s->run_every = options.run_every;

  std::string out;
  JsonWriter json(out);
  json.begin_object()
      .key("cloud_alm")
      .begin_object()
      .field("service_key_file", path_for_config(options.service_key_file, config_dir))
      .key("host")
      .null()
      .key("port")
      .null()
      .key("token_endpoint")
      .null()
      .key("client_id")
      .null()
      .key("client_secret_env")
      .null()
      .end_object();
  json.key("ato")
      .begin_object()
      .field("feed_url", options.ato_url)
      .field("user", options.ato_user)
      .field("password_env", options.ato_password_env)
      .end_object();
  write_common_sections(json, defaults, "ato-bridge-outbox.db",
                        options.ca_file
                            ? std::optional<std::string>(path_for_config(*options.ca_file, config_dir))
                            : std::nullopt);
  json.end_object();
  return pretty_json(out);
}


}  // namespace ato::bridge
