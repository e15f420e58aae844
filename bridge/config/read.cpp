// Reading the bridge's configuration: every field checked, the communication system derived from
// the service key as SAP's guide says, plain http and strange URLs refused (README "Configuration").
#include "bridge/config.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "bridge/config/reading.hpp"
#include "bridge/outbox/types.hpp"
#include "core/files.hpp"
#include "core/json_reader.hpp"
#include "core/time.hpp"
#include "core/url.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;
using namespace config_reading;

namespace {

fs::path resolve(const fs::path& base_dir, std::string_view text) {
  fs::path p(text);
  return p.is_absolute() ? p : (base_dir / p).lexically_normal();
}

milliseconds read_duration(const JsonObjectReader& o, std::string_view key, milliseconds fallback,
                           milliseconds min) {
  if (!o.has(key)) return fallback;
  const auto text = o.string(key);
  const auto value = parse_duration(text);
  if (!value)
    throw JsonError(o.path_of(key), fmt::format("expected a duration like 5m, 30s or 1h (got \"{}\")", text));
  if (*value < min) throw JsonError(o.path_of(key), "must be at least " + format_duration(min));
  return *value;
}

}  // namespace

HttpUrl config_reading::read_url(const JsonObjectReader& o, std::string_view key) {
  auto parsed = parse_http_url(o.string(key));
  if (auto* error = std::get_if<std::string>(&parsed)) throw JsonError(o.path_of(key), *error);
  return std::get<HttpUrl>(parsed);
}

namespace {

// Credentials go to every URL the bridge calls (the client secret to the token endpoint, tokens to
// Cloud ALM, the communication user's password to the feed): plain http only where it cannot leave
// the machine, or where the operator said so explicitly (tls.allow_plain_http).
void require_tls(const BridgeConfig& c, std::string_view field, const std::string& url_text) {
  const auto parsed = parse_http_url(url_text);
  const auto* url = std::get_if<HttpUrl>(&parsed);
  if (!url || url->tls() || is_loopback_host(url->host) || c.tls.allow_plain_http) return;
  throw ConfigError(fmt::format(
      "{}: {} uses plain http to a host that is not loopback: credentials would travel in clear. Use "
      "https, or set tls.allow_plain_http to true if this network is really private",
      field, url->origin()));
}

void check_plain_http(BridgeConfig& c) {
  std::vector<std::string> feed_fields;
  for (const auto& t : c.tenants) feed_fields.push_back(t.config_path + ".feed_url");
  std::vector<std::pair<std::string_view, const std::string*>> fields = {
      {"the Cloud ALM host (endpoints.Api or cloud_alm.host)", &c.cloud_alm.host},
      {"the token endpoint (uaa.url or cloud_alm.token_endpoint)", &c.cloud_alm.token_endpoint}};
  for (std::size_t i = 0; i < c.tenants.size(); ++i)
    fields.emplace_back(feed_fields[i], &c.tenants[i].ato.feed_url);
  for (const auto& [field, url] : fields) require_tls(c, field, *url);
  if (!c.tls.allow_plain_http) return;
  std::vector<std::string> plain;
  for (const auto& [field, url] : fields)
    if (auto parsed = parse_http_url(*url);
        std::holds_alternative<HttpUrl>(parsed) && !std::get<HttpUrl>(parsed).tls())
      plain.emplace_back(field);
  c.warnings.push_back(fmt::format(
      "tls.allow_plain_http is true{}: passwords, the client secret and tokens may travel in clear",
      plain.empty() ? " (no URL uses it now)"
                    : fmt::format(" and {} use(s) plain http", fmt::join(plain, ", "))));
}

std::string read_path(const JsonObjectReader& o, std::string_view key, std::string_view fallback) {
  if (!o.has(key)) return std::string(fallback);
  std::string path(o.string(key));
  if (path.front() != '/') throw JsonError(o.path_of(key), "expected a path starting with /");
  return path;
}

}  // namespace

OutboundService config_reading::read_service(const JsonObjectReader& services, std::string_view key,
                                             std::string_view default_path) {
  OutboundService s;
  s.path = std::string(default_path);
  auto o = services.optional_object(key);
  if (!o) return s;
  if (default_path.empty()) {
    o->only_keys({"active", "run_every", "package_size"});
  } else {
    o->only_keys({"active", "run_every", "package_size", "path"});
    s.path = read_path(*o, "path", default_path);
  }
  s.active = o->optional_boolean("active").value_or(true);
  s.run_every = read_duration(*o, "run_every", s.run_every, std::chrono::seconds(1));
  s.package_size = static_cast<int>(o->optional_integer("package_size", 1, kMaxPackageSize).value_or(100));
  return s;
}

Secret config_reading::read_secret_source(const JsonObjectReader& o, std::string_view inline_key,
                                          std::string_view env_key, std::string_view file_key,
                                          const fs::path& base_dir, const EnvLookup& env, std::string& source,
                                          std::vector<std::string>& warnings) {
  // null means "not set" (config init spells every optional field out as null).
  const int given = o.nullable_string(inline_key).has_value() + o.nullable_string(env_key).has_value() +
                    o.nullable_string(file_key).has_value();
  if (given > 1)
    throw JsonError(o.path(), fmt::format("give only one of {}, {} and {}", inline_key, env_key, file_key));
  if (auto name = o.nullable_string(env_key)) {
    auto value = env(std::string(*name));
    if (!value || value->empty())
      throw JsonError(o.path_of(env_key),
                      fmt::format("environment variable {} is not set (or empty)", *name));
    source = fmt::format("environment variable {}", *name);
    return Secret(std::move(*value));
  }
  if (auto name = o.nullable_string(file_key)) {
    const auto path = resolve(base_dir, *name);
    std::string value;
    try {
      value = read_text_file(path);
    } catch (const FileError& e) {
      throw JsonError(o.path_of(file_key), e.what());
    }
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    if (value.empty()) throw JsonError(o.path_of(file_key), path.string() + " is empty");
    if (auto exposure = secret_file_exposure(path))
      warnings.push_back(fmt::format("{} {}", path.string(), *exposure));
    source = fmt::format("file {}", path.string());
    return Secret(std::move(value));
  }
  if (auto value = o.nullable_string(inline_key)) {
    source = "the configuration file";
    return Secret(std::string(*value));
  }
  return {};
}

namespace {

std::string without_api_suffix(std::string url, std::vector<std::string>& warnings) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 4 && url.compare(url.size() - 4, 4, "/api") == 0) {
    url.resize(url.size() - 4);
  } else {
    warnings.push_back(
        "the service key's endpoints.Api does not end with /api; its whole URL is used as host");
  }
  return url;
}

void derive_communication_system(BridgeConfig& c, const JsonObjectReader& alm, const fs::path& base_dir,
                                 const EnvLookup& env) {
  const ServiceKey& key = c.service_key.key;
  CommunicationSystem& cs = c.cloud_alm;
  Provenance& from = cs.provenance;

  if (auto host = alm.nullable_string("host")) {
    const auto url = read_url(alm, "host");
    if (url.target != "/")
      throw JsonError(alm.path_of("host"), "expected scheme://host[:port] without a path");
    cs.host = url.origin();
    cs.port = url.port;
    from.host = from.port = "cloud_alm.host";
  } else {
    const auto api = std::get<HttpUrl>(parse_http_url(key.api_url));  // checked when the key was read
    cs.host = without_api_suffix(api.str(), c.warnings);
    cs.port = api.port;
    from.host = "service key endpoints.Api without /api";
    from.port = api.port == 443 ? "HTTPS default, as SAP's guide says" : "port of endpoints.Api";
  }
  if (auto port = alm.nullable_integer("port", 1, 65535)) {
    cs.port = static_cast<std::uint16_t>(*port);
    from.port = "cloud_alm.port";
  }
  cs.credential_type = key.credential_type;
  if (alm.nullable_string("token_endpoint")) {
    cs.token_endpoint = read_url(alm, "token_endpoint").str();
    from.token_endpoint = "cloud_alm.token_endpoint";
  } else if (key.credential_type == CredentialType::X509) {
    std::string cert_url = key.cert_url;
    while (!cert_url.empty() && cert_url.back() == '/') cert_url.pop_back();
    cs.token_endpoint = cert_url + "/oauth/token";
    from.token_endpoint = "service key uaa.certurl + /oauth/token (X.509: mutual TLS)";
  } else {
    std::string uaa = key.uaa_url;
    while (!uaa.empty() && uaa.back() == '/') uaa.pop_back();
    cs.token_endpoint = uaa + "/oauth/token";
    from.token_endpoint = "service key uaa.url + /oauth/token";
  }
  if (auto id = alm.nullable_string("client_id")) {
    cs.client_id = std::string(*id);
    from.client_id = "cloud_alm.client_id";
  } else {
    cs.client_id = key.client_id;
    from.client_id = "service key uaa.clientid";
  }
  std::string secret_source;
  cs.client_secret = read_secret_source(alm, "client_secret", "client_secret_env", "client_secret_file",
                                        base_dir, env, secret_source, c.warnings);
  if (key.credential_type == CredentialType::X509) {
    if (!cs.client_secret.empty())
      throw JsonError(alm.path(),
                      "the service key is an X.509 one (credential-type x509): it authenticates with its "
                      "certificate, not a client secret; drop client_secret*, or use a secret key");
    cs.client_certificate = key.certificate;
    cs.client_key = key.private_key;
    from.client_secret = "service key uaa.certificate and uaa.key (X.509: mutual TLS, no secret)";
  } else if (cs.client_secret.empty()) {
    cs.client_secret = key.client_secret;
    from.client_secret = "service key uaa.clientsecret";
  } else {
    from.client_secret = secret_source;
  }
}

void read_cloud_alm(BridgeConfig& c, const JsonObjectReader& root, const fs::path& base_dir,
                    const EnvLookup& env) {
  const auto alm = root.object("cloud_alm");
  alm.only_keys({"service_key_file", "host", "port", "token_endpoint", "client_id", "client_secret",
                 "client_secret_env", "client_secret_file"});
  c.service_key.path = resolve(base_dir, alm.string("service_key_file"));
  std::string key_text;
  try {
    key_text = read_text_file(c.service_key.path);
  } catch (const FileError& e) {
    throw JsonError(alm.path_of("service_key_file"), e.what());
  }
  try {
    c.service_key.key = parse_service_key(key_text);
  } catch (const JsonError& e) {
    throw ConfigError(fmt::format("{}: {} (the Cloud ALM service key named by cloud_alm.service_key_file)",
                                  c.service_key.path.string(), e.what()));
  }
  if (auto exposure = secret_file_exposure(c.service_key.path))
    c.warnings.push_back(fmt::format("service key {} {}", c.service_key.path.string(), *exposure));
  derive_communication_system(c, alm, base_dir, env);
}

void read_outbox(BridgeConfig& c, const JsonObjectReader& root, const fs::path& base_dir) {
  c.outbox.path = resolve(base_dir, "ato-bridge-outbox.db");
  auto o = root.optional_object("outbox");
  if (!o) return;
  o->only_keys({"path", "durability", "keep_done_for"});
  if (auto path = o->optional_string("path")) c.outbox.path = resolve(base_dir, *path);
  if (auto d = o->optional_string("durability")) {
    if (*d == "normal")
      c.outbox.durability = Durability::Normal;
    else if (*d == "full")
      c.outbox.durability = Durability::Full;
    else
      throw JsonError(o->path_of("durability"), "expected one of normal, full");
  }
  c.outbox.keep_done_for = read_duration(*o, "keep_done_for", c.outbox.keep_done_for, milliseconds(0));
}

void read_retry_policy(BridgeConfig& c, const JsonObjectReader& root) {
  auto o = root.optional_object("retry_policy");
  if (!o) return;
  o->only_keys({"base", "multiplier", "cap", "max_attempts", "max_age"});
  RetryPolicy& p = c.retry_policy;
  p.base = read_duration(*o, "base", p.base, milliseconds(1));
  if (o->has("multiplier")) p.multiplier = o->number("multiplier", 1.0, 10.0);
  p.cap = read_duration(*o, "cap", p.cap, milliseconds(1));
  if (p.cap < p.base) throw JsonError(o->path_of("cap"), "must not be shorter than retry_policy.base");
  p.max_attempts = static_cast<int>(o->optional_integer("max_attempts", 1, 10'000).value_or(p.max_attempts));
  p.max_age = read_duration(*o, "max_age", p.max_age, milliseconds(1));
}

void read_tls(BridgeConfig& c, const JsonObjectReader& root, const fs::path& base_dir) {
  auto o = root.optional_object("tls");
  if (!o) return;
  o->only_keys({"ca_file", "verify", "allow_plain_http"});
  c.tls.allow_plain_http = o->optional_boolean("allow_plain_http").value_or(false);
  if (auto ca = o->nullable_string("ca_file")) {
    c.tls.ca_file = resolve(base_dir, *ca);
    try {
      read_text_file(*c.tls.ca_file);
    } catch (const FileError& e) {
      throw JsonError(o->path_of("ca_file"), e.what());
    }
  }
  c.tls.verify = o->optional_boolean("verify").value_or(true);
  if (!c.tls.verify)
    c.warnings.push_back(
        "tls.verify is false: certificates and host names are NOT checked; anyone on the path "
        "can read the client secret and events. Use tls.ca_file instead.");
}

void read_admin(BridgeConfig& c, const JsonObjectReader& root, const fs::path& base_dir,
                const EnvLookup& env) {
  auto o = root.optional_object("admin");
  if (!o) return;
  o->only_keys({"listen", "token_env", "token_file", "token"});
  c.admin.token = read_secret_source(*o, "token", "token_env", "token_file", base_dir, env,
                                     c.admin.token_source, c.warnings);
  if (!c.admin.token.empty() && c.admin.token.reveal().size() < 16)
    throw JsonError(o->path(),
                    "the admin token is shorter than 16 characters: use a random one "
                    "(e.g. openssl rand -hex 24)");
  if (o->has("listen")) {
    const std::string listen(o->string("listen"));
    const auto parsed = parse_listen_address(listen);
    if (auto* error = std::get_if<std::string>(&parsed)) throw JsonError(o->path_of("listen"), *error);
    c.admin.listen = listen;
  }
  const auto parsed = parse_listen_address(c.admin.listen);
  if (std::holds_alternative<ListenAddress>(parsed) &&
      !is_loopback_host(std::get<ListenAddress>(parsed).host) && c.admin.token.empty())
    c.warnings.push_back(
        fmt::format("admin.listen {} is reachable from other machines; the admin endpoint "
                    "has no authentication: set admin.token_env (or token_file) so that /status and "
                    "POST /tick need a bearer token (the probes and /metrics stay open)",
                    c.admin.listen));
}

void read_log(BridgeConfig& c, const JsonObjectReader& root) {
  auto o = root.optional_object("log");
  if (!o) return;
  o->only_keys({"level", "format"});
  if (auto level = o->optional_string("level")) {
    if (!is_valid_log_level(*level))
      throw JsonError(o->path_of("level"), "expected one of trace, debug, info, warn, error, off");
    c.log.level = std::string(*level);
  }
  if (auto format = o->optional_string("format")) {
    auto parsed = parse_log_format(*format);
    if (!parsed) throw JsonError(o->path_of("format"), "expected one of text, json");
    c.log.format = *parsed;
  }
}

void read_push(BridgeConfig& c, const JsonObjectReader& root) {
  auto o = root.optional_object("push");
  if (!o) return;
  o->only_keys({"connections", "timeout"});
  c.push.connections =
      static_cast<int>(o->optional_integer("connections", 1, 64).value_or(c.push.connections));
  c.push.timeout = read_duration(*o, "timeout", c.push.timeout, milliseconds(100));
}

void read_registration(BridgeConfig& c, const JsonObjectReader& root) {
  auto o = root.optional_object("registration");
  if (!o) return;
  o->only_keys({"systems", "suffix"});
  if (auto suffix = o->nullable_string("suffix")) {
    if (!is_valid_lms_suffix(*suffix))
      throw JsonError(o->path_of("suffix"), "expected 1 to 20 letters or digits");
    c.registration.suffix = std::string(*suffix);
  }
  if (auto systems = o->optional_array("systems"))
    systems->for_each_object([&](const JsonObjectReader& s, std::size_t) {
      s.only_keys({"system", "role"});
      auto system = parse_system_ref(s.string("system"));
      if (!system) throw JsonError(s.path_of("system"), "expected SID~client, like S4D~080");
      c.registration.systems.emplace_back(*system, read_enum(s, "role", kSystemRoleNames));
    });
}

void read_collect(BridgeConfig& c, const JsonObjectReader& root) {
  auto o = root.optional_object("collect");
  if (!o) return;
  o->only_keys({"backfill", "max_pages_per_run"});
  c.collect.backfill = o->optional_boolean("backfill").value_or(false);
  c.collect.max_pages_per_run = static_cast<int>(
      o->optional_integer("max_pages_per_run", 1, 1'000'000).value_or(c.collect.max_pages_per_run));
}

}  // namespace

const TenantConfig* BridgeConfig::tenant(std::string_view name) const {
  for (const auto& t : tenants)
    if (t.name == name) return &t;
  return nullptr;
}

BridgeConfig load_config(const fs::path& file, const EnvLookup& env) {
  std::string text;
  try {
    text = read_text_file(file);
  } catch (const FileError& e) {
    throw ConfigError(e.what());
  }
  return parse_config(text, file, env);
}

BridgeConfig parse_config(std::string_view text, const fs::path& file, const EnvLookup& env) {
  BridgeConfig c;
  c.config_file = fs::absolute(file).lexically_normal();
  const auto base_dir = c.config_file.parent_path();
  simdjson::dom::parser parser;
  try {
    const JsonObjectReader root(parse_json(parser, text), "");
    root.only_keys({"cloud_alm", "ato", "tenants", "services", "outbox", "retry_policy", "tls", "push",
                    "registration", "admin", "log", "collect"});
    read_tls(c, root, base_dir);  // first: allow_plain_http decides whether the URLs below may be used
    read_cloud_alm(c, root, base_dir, env);
    const ServiceDefaults defaults = read_services(c, root);
    read_tenants(c, root, base_dir, env, defaults);
    read_outbox(c, root, base_dir);
    read_retry_policy(c, root);
    read_push(c, root);
    read_registration(c, root);
    read_admin(c, root, base_dir, env);
    read_log(c, root);
    read_collect(c, root);
    check_plain_http(c);
  } catch (const JsonError& e) {
    throw ConfigError(fmt::format("{}: {}", file.string(), e.what()));
  }
  return c;
}

}  // namespace ato::bridge
