// Inside the configuration reader (private to bridge/config/): the field readers read.cpp and
// read_tenants.cpp share, and the tenants' part that read_tenants.cpp reads.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/config.hpp"
#include "core/json_reader.hpp"
#include "core/url.hpp"

namespace ato::bridge::config_reading {

// --- read.cpp ---
HttpUrl read_url(const JsonObjectReader& o, std::string_view key);
// One outbound service's settings; `default_path` empty: the retry job (no path of its own).
OutboundService read_service(const JsonObjectReader& services, std::string_view key,
                             std::string_view default_path);
// A secret given inline, by environment variable or by file (at most one); `source` says which.
Secret read_secret_source(const JsonObjectReader& o, std::string_view inline_key, std::string_view env_key,
                          std::string_view file_key, const std::filesystem::path& base_dir,
                          const EnvLookup& env, std::string& source, std::vector<std::string>& warnings);

// --- read_tenants.cpp ---
// The event services: each tenant's own, with the top-level `services` as their defaults.
struct ServiceDefaults {
  OutboundService export_service, import_service, status_change_service;
};
ServiceDefaults read_services(BridgeConfig& c, const JsonObjectReader& root);
// The `ato` section (one tenant, 'default') or the `tenants` list.
void read_tenants(BridgeConfig& c, const JsonObjectReader& root, const std::filesystem::path& base_dir,
                  const EnvLookup& env, const ServiceDefaults& defaults);

}  // namespace ato::bridge::config_reading
