// `config init`: a complete configuration with every default spelled out, from a service key that
// is checked first, so the user starts from a file that works.
#include <fmt/format.h>

#include "bridge/config.hpp"
#include "bridge/config/sections.hpp"
#include "bridge/outbox/types.hpp"
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
  if (options.tenants.empty())
    throw ConfigError("name at least one tenant (--tenant, or --ato-url with --ato-user)");
  for (const auto& t : options.tenants) {
    if (!is_valid_tenant_name(t.name))
      throw ConfigError(
          fmt::format("tenant name '{}': expected 1 to 64 letters, digits and ~ . _ -", t.name));
    if (auto parsed = parse_http_url(t.feed_url); std::holds_alternative<std::string>(parsed))
      throw ConfigError(fmt::format("tenant {}: feed URL: {}", t.name, std::get<std::string>(parsed)));
    if (t.user.empty()) throw ConfigError(fmt::format("tenant {}: the user must not be empty", t.name));
    if (t.password_env.empty())
      throw ConfigError(
          fmt::format("tenant {}: the password environment variable must not be empty", t.name));
  }
  if (options.run_every < std::chrono::seconds(1)) throw ConfigError("--run-every: must be at least 1s");
  if (options.ca_file) {
    try {
      read_text_file(*options.ca_file);
    } catch (const FileError& e) {
      throw ConfigError(std::string("--ca-file: ") + e.what());
    }
  }

  if (const auto parsed = parse_listen_address(options.admin_listen);
      std::holds_alternative<std::string>(parsed))
    throw ConfigError("--admin-listen: " + std::get<std::string>(parsed));
  BridgeConfig defaults;
  defaults.admin.listen = options.admin_listen;
  TenantConfig services;
  services.export_service.path = kDefaultExportPath;
  services.import_service.path = kDefaultImportPath;
  services.status_change_service.path = kDefaultStatusChangePath;
  for (auto* s : {&services.export_service, &services.import_service, &services.status_change_service,
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
  // One tenant named "default": the single `ato` form; otherwise the list, one entry per arrangement.
  const auto connection = [&](const InitTenant& t) {
    json.field("feed_url", t.feed_url).field("user", t.user).field("password_env", t.password_env);
  };
  if (options.tenants.size() == 1 && options.tenants.front().name == kDefaultTenant) {
    json.key("ato").begin_object();
    connection(options.tenants.front());
    json.end_object();
  } else {
    json.key("tenants").begin_array();
    for (const auto& t : options.tenants) {
      json.begin_object().field("name", t.name);
      connection(t);
      json.end_object();
    }
    json.end_array();
  }
  write_common_sections(json, defaults, &services, "ato-bridge-outbox.db",
                        options.ca_file
                            ? std::optional<std::string>(path_for_config(*options.ca_file, config_dir))
                            : std::nullopt);
  json.end_object();
  return pretty_json(out);
}

}  // namespace ato::bridge
