#include "bridge/config/sections.hpp"

#include "core/time.hpp"

namespace ato::bridge::config_file {
namespace fs = std::filesystem;

namespace {

void write_service(JsonWriter& json, std::string_view name, const OutboundService& s) {
  json.key(name).begin_object().field("active", s.active).field("run_every", format_duration(s.run_every));
  json.field("package_size", s.package_size);
  if (!s.path.empty()) json.field("path", s.path);
  json.end_object();
}

}  // namespace

void write_event_services(JsonWriter& json, const TenantConfig& t) {
  json.key("services").begin_object();
  write_service(json, "export", t.export_service);
  write_service(json, "import", t.import_service);
  write_service(json, "status_change", t.status_change_service);
  json.end_object();
}

void write_common_sections(JsonWriter& json, const BridgeConfig& c, const TenantConfig* event_services,
                           const std::string& outbox_path, const std::optional<std::string>& ca_file) {
  json.key("services").begin_object();
  if (event_services) {
    write_service(json, "export", event_services->export_service);
    write_service(json, "import", event_services->import_service);
    write_service(json, "status_change", event_services->status_change_service);
  }
  write_service(json, "retry", c.retry_service);
  json.end_object();
  json.key("outbox")
      .begin_object()
      .field("path", outbox_path)
      .field("durability", c.outbox.durability == Durability::Full ? "full" : "normal")
      .field("keep_done_for", format_duration(c.outbox.keep_done_for))
      .end_object();
  const auto& p = c.retry_policy;
  json.key("retry_policy")
      .begin_object()
      .field("base", format_duration(p.base))
      .field("multiplier", p.multiplier)
      .field("cap", format_duration(p.cap))
      .field("max_attempts", p.max_attempts)
      .field("max_age", format_duration(p.max_age))
      .end_object();
  json.key("tls").begin_object().key("ca_file");
  if (ca_file)
    json.value(*ca_file);
  else
    json.null();
  json.field("verify", c.tls.verify).field("allow_plain_http", c.tls.allow_plain_http).end_object();
  json.key("push")
      .begin_object()
      .field("connections", c.push.connections)
      .field("timeout", format_duration(c.push.timeout))
      .end_object();
  json.key("registration").begin_object().key("systems").begin_array();
  for (const auto& [system, role] : c.registration.systems)
    json.begin_object()
        .field("system", system.key())
        .field("role", name_of(kSystemRoleNames, role))
        .end_object();
  json.end_array().key("suffix");
  c.registration.suffix ? json.value(*c.registration.suffix) : json.null();
  json.end_object();
  json.key("admin").begin_object().field("listen", c.admin.listen).end_object();
  json.key("log")
      .begin_object()
      .field("level", c.log.level)
      .field("format", c.log.format == LogFormat::Json ? "json" : "text")
      .end_object();
  json.key("collect")
      .begin_object()
      .field("backfill", c.collect.backfill)
      .field("max_pages_per_run", c.collect.max_pages_per_run)
      .end_object();
}

std::string path_for_config(const fs::path& target, const fs::path& config_dir) {
  const auto absolute = fs::absolute(target).lexically_normal();
  const auto relative = absolute.lexically_relative(config_dir);
  if (!relative.empty() && *relative.begin() != "..") return relative.string();
  return absolute.string();
}

}  // namespace ato::bridge::config_file
