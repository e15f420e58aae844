// The effective configuration as `config check` prints it (text or JSON), every secret as ****.
#include <fmt/format.h>

#include "bridge/config.hpp"
#include "bridge/config/sections.hpp"
#include "core/json_writer.hpp"
#include "core/time.hpp"

namespace ato::bridge {

using config_file::write_common_sections;

std::string effective_config_json(const BridgeConfig& c) {
  std::string out;
  JsonWriter json(out);
  const auto& cs = c.cloud_alm;
  json.begin_object().field("config_file", c.config_file.string());
  json.key("communication_system")
      .begin_object()
      .field("host", cs.host)
      .field("port", static_cast<std::int64_t>(cs.port))
      .field("token_endpoint", cs.token_endpoint)
      .field("client_id", cs.client_id)
      .field("credential_type", cs.credential_type == CredentialType::X509 ? "x509" : "secret")
      .field("client_secret", cs.credential_type == CredentialType::X509
                                  ? std::string_view("(none: mutual TLS)")
                                  : cs.client_secret.redacted())
      .key("derived_from")
      .begin_object()
      .field("service_key_file", c.service_key.path.string())
      .field("host", cs.provenance.host)
      .field("port", cs.provenance.port)
      .field("token_endpoint", cs.provenance.token_endpoint)
      .field("client_id", cs.provenance.client_id)
      .field("client_secret", cs.provenance.client_secret)
      .end_object()
      .end_object();
  json.key("tenants").begin_array();
  for (const auto& t : c.tenants) {
    json.begin_object()
        .field("name", t.name)
        .field("feed_url", t.ato.feed_url)
        .field("user", t.ato.user)
        .field("password", t.ato.password.redacted())
        .field("password_source", t.ato.password_source);
    config_file::write_event_services(json, t);
    json.end_object();
  }
  json.end_array();
  write_common_sections(json, c, nullptr, c.outbox.path.string(),
                        c.tls.ca_file ? std::optional<std::string>(c.tls.ca_file->string()) : std::nullopt);
  json.key("warnings").begin_array();
  for (const auto& w : c.warnings) json.value(w);
  json.end_array().end_object();
  return pretty_json(out);
}

std::string effective_config_text(const BridgeConfig& c) {
  const auto& cs = c.cloud_alm;
  std::string out;
  auto line = [&](std::string_view label, std::string_view value, std::string_view note = {}) {
    out += fmt::format("  {:<16}{}{}\n", label, value, note.empty() ? "" : fmt::format("   ({})", note));
  };
  out += fmt::format("configuration {} is valid\n\n", c.config_file.string());
  out +=
      fmt::format("Communication system (SAP_COM_0690), from service key {}:\n", c.service_key.path.string());
  line("host", cs.host, cs.provenance.host);
  line("port", std::to_string(cs.port), cs.provenance.port);
  line("token endpoint", cs.token_endpoint, cs.provenance.token_endpoint);
  line("client id", cs.client_id, cs.provenance.client_id);
  if (cs.credential_type == CredentialType::X509) {
    line("client auth", "X.509 certificate and key (mutual TLS at the token endpoint)",
         cs.provenance.client_secret);
  } else {
    line("client auth", "client secret (HTTP Basic)",
         "credential-type " + c.service_key.key.credential_type_name);
    line("client secret", cs.client_secret.redacted(), cs.provenance.client_secret);
  }
  auto service = [&](std::string_view name, const OutboundService& s) {
    out += fmt::format("    {:<16}{:<8}{:<11}{:<14}{}\n", name, s.active ? "yes" : "no",
                       format_duration(s.run_every), s.package_size,
                       s.path.empty() ? "(each event's own tenant and service path)" : s.path);
  };
  out += fmt::format("\nTenants ({}; one SAP_COM_0690 arrangement each):\n", c.tenants.size());
  for (const auto& t : c.tenants) {
    out += fmt::format("  {}{}\n", t.name, c.single_tenant_form ? " (the `ato` section)" : "");
    out += fmt::format("    {:<16}{}\n", "feed url", t.ato.feed_url);
    out += fmt::format("    {:<16}{}\n", "user", t.ato.user);
    out += fmt::format("    {:<16}{}   (from {})\n", "password", t.ato.password.redacted(),
                       t.ato.password_source);
    out += fmt::format("    {:<16}{:<8}{:<11}{:<14}{}\n", "service", "active", "run every", "package size",
                       "path");
    service("export", t.export_service);
    service("import", t.import_service);
    service("status_change", t.status_change_service);
  }
  out += "\nThe bridge's retry job (re-sends any tenant's failed events):\n";
  service("retry", c.retry_service);
  const auto& p = c.retry_policy;
  out += "\nOutbox and delivery:\n";
  line("outbox", c.outbox.path.string());
  line("durability", c.outbox.durability == Durability::Full ? "full" : "normal");
  line("keep done for", format_duration(c.outbox.keep_done_for));
  line("retry",
       fmt::format("base {}, x{}, cap {}, at most {} attempts or {}", format_duration(p.base), p.multiplier,
                   format_duration(p.cap), p.max_attempts, format_duration(p.max_age)));
  line("history", c.collect.backfill ? "backfill: first run collects the feed from the beginning"
                                     : "none: first run starts at the feed's head, as SAP documents");
  line("tls", fmt::format("verify {}, CA {}", c.tls.verify ? "on" : "OFF",
                          c.tls.ca_file ? c.tls.ca_file->string() : "system store"));
  line("push", fmt::format("{} connection(s), {} timeout per operation", c.push.connections,
                           format_duration(c.push.timeout)));
  line("admin", c.admin.token.empty()
                    ? c.admin.listen + ", no token"
                    : fmt::format("{}, bearer token from {} (****) for all but /healthz, /readyz, /metrics",
                                  c.admin.listen, c.admin.token_source));
  line("log", fmt::format("{}, {}", c.log.level, c.log.format == LogFormat::Json ? "json" : "text"));
  if (!c.warnings.empty()) {
    out += "\nWarnings:\n";
    for (const auto& w : c.warnings) out += "  - " + w + "\n";
  }
  return out;
}

}  // namespace ato::bridge
