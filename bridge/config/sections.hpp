// Writing a configuration's common sections (services, outbox, retry, TLS, push, registration,
// admin, log, collect) as JSON: shared by `config check --json` (bridge/config/print.cpp) and
// `config init` (bridge/config/init.cpp), so both spell the file the reader reads.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "bridge/config.hpp"
#include "core/json_writer.hpp"

namespace ato::bridge::config_file {

// `services` holds `event_services` (the defaults every tenant starts from; none: only retry) and
// the bridge's retry job.
void write_common_sections(JsonWriter& json, const BridgeConfig& c, const TenantConfig* event_services,
                           const std::string& outbox_path, const std::optional<std::string>& ca_file);

// A tenant's event services, as a `services` object.
void write_event_services(JsonWriter& json, const TenantConfig& t);

// A path as the configuration file at `config_dir` should name it: relative when it lies beside or
// below that directory, absolute otherwise.
std::string path_for_config(const std::filesystem::path& target, const std::filesystem::path& config_dir);

}  // namespace ato::bridge::config_file
