// Reading a tenant's part of the configuration: the `ato` section or the `tenants` list, each
// tenant's feed, communication user and event services (bridge/config/read.cpp reads the rest).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "bridge/config/reading.hpp"
#include "bridge/outbox/types.hpp"
#include "core/files.hpp"
#include "core/url.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;
using namespace config_reading;

namespace {

// A tenant's feed and communication user: the `ato` section, or an element of `tenants`.
void read_connection(BridgeConfig& c, const JsonObjectReader& o, const fs::path& base_dir,
                     const EnvLookup& env, AtoConnection& ato) {
  read_url(o, "feed_url");
  ato.feed_url = std::string(o.string("feed_url"));
  // The bridge reads the URL as the entity set itself: a service root (.../feed/v1) answers 404.
  const std::string_view path_part =
      std::string_view(ato.feed_url).substr(0, ato.feed_url.find_first_of("?#"));
  if (!path_part.ends_with("/Events"))
    c.warnings.push_back(
        fmt::format("{}: {} does not end with /Events, the feed's entity set; the feed "
                    "answers 404 (SAP's is .../sap/opu/odata4/ato/feed/v1/Events)",
                    o.path_of("feed_url"), ato.feed_url));
  ato.user = o.string("user");
  ato.password = read_secret_source(o, "password", "password_env", "password_file", base_dir, env,
                                    ato.password_source, c.warnings);
  if (ato.password.empty())
    throw JsonError(o.path(),
                    "missing the communication user's password: give password_env (recommended), "
                    "password_file or password");
  if (ato.password_source == "the configuration file")
    if (auto exposure = secret_file_exposure(c.config_file))
      c.warnings.push_back(fmt::format("{} holds {}.password and {}; or use password_env",
                                       c.config_file.string(), o.path(), *exposure));
}

// The event services: each tenant's own, with the top-level `services` as their defaults.
}  // namespace

ServiceDefaults config_reading::read_services(BridgeConfig& c, const JsonObjectReader& root) {
  ServiceDefaults d;
  d.export_service.path = kDefaultExportPath;
  d.import_service.path = kDefaultImportPath;
  d.status_change_service.path = kDefaultStatusChangePath;
  c.retry_service.path.clear();
  auto services = root.optional_object("services");
  if (!services) return d;
  services->only_keys({"export", "import", "status_change", "retry"});
  d.export_service = read_service(*services, "export", kDefaultExportPath);
  d.import_service = read_service(*services, "import", kDefaultImportPath);
  d.status_change_service = read_service(*services, "status_change", kDefaultStatusChangePath);
  c.retry_service = read_service(*services, "retry", "");
  return d;
}

namespace {

// A tenant's own `services` replace the defaults service by service.
void read_tenant_services(const JsonObjectReader& o, const ServiceDefaults& defaults, TenantConfig& t) {
  t.export_service = defaults.export_service;
  t.import_service = defaults.import_service;
  t.status_change_service = defaults.status_change_service;
  auto services = o.optional_object("services");
  if (!services) return;
  services->only_keys({"export", "import", "status_change"});
  if (services->has("export")) t.export_service = read_service(*services, "export", kDefaultExportPath);
  if (services->has("import")) t.import_service = read_service(*services, "import", kDefaultImportPath);
  if (services->has("status_change"))
    t.status_change_service = read_service(*services, "status_change", kDefaultStatusChangePath);
}

// Two spellings of one feed: the URLs compared as URLs (host case, an explicit default port and a
// trailing slash do not make another feed), so two tenants cannot read one feed unnoticed.
bool same_feed(const std::string& a, const std::string& b) {
  const auto pa = parse_http_url(a), pb = parse_http_url(b);
  if (!std::holds_alternative<HttpUrl>(pa) || !std::holds_alternative<HttpUrl>(pb)) return a == b;
  auto key = [](const HttpUrl& u) {
    std::string target = u.target;
    const auto query = target.find('?');
    auto path_end = query == std::string::npos ? target.size() : query;
    while (path_end > 1 && target[path_end - 1] == '/') target.erase(--path_end, 1);
    return u.scheme + "://" + u.host + ":" + std::to_string(u.port) + target;
  };
  return key(std::get<HttpUrl>(pa)) == key(std::get<HttpUrl>(pb));
}

TenantConfig read_tenant(BridgeConfig& c, const JsonObjectReader& o, const fs::path& base_dir,
                         const EnvLookup& env, const ServiceDefaults& defaults) {
  o.only_keys({"name", "feed_url", "user", "password", "password_env", "password_file", "services"});
  TenantConfig t;
  t.config_path = o.path();
  t.name = o.string("name");
  if (!is_valid_tenant_name(t.name))
    throw JsonError(o.path_of("name"),
                    "expected 1 to 64 letters, digits and ~ . _ - (e.g. S4D~080, after the tenant's system)");
  for (const auto& other : c.tenants)
    if (other.name == t.name)
      throw JsonError(o.path_of("name"), fmt::format("tenant {} is named twice", t.name));
  read_connection(c, o, base_dir, env, t.ato);
  for (const auto& other : c.tenants)
    if (same_feed(other.ato.feed_url, t.ato.feed_url) && other.ato.user == t.ato.user)
      throw JsonError(
          o.path_of("feed_url"),
          fmt::format("tenant {} reads the same feed with the same user as tenant {}: each tenant "
                      "has a feed of its own",
                      t.name, other.name));
  read_tenant_services(o, defaults, t);
  return t;
}

}  // namespace

void config_reading::read_tenants(BridgeConfig& c, const JsonObjectReader& root, const fs::path& base_dir,
                                  const EnvLookup& env, const ServiceDefaults& defaults) {
  if (root.has("ato") == root.has("tenants"))
    throw JsonError(
        root.path(),
        "give either `tenants` (a list: one entry per tenant's SAP_COM_0690 arrangement) or `ato` "
        "(a single feed), not both and not neither");
  if (root.has("ato")) {
    const auto ato = root.object("ato");
    ato.only_keys({"feed_url", "user", "password", "password_env", "password_file"});
    TenantConfig t{std::string(kDefaultTenant),    {},   defaults.export_service, defaults.import_service,
                   defaults.status_change_service, "ato"};
    read_connection(c, ato, base_dir, env, t.ato);
    c.tenants.push_back(std::move(t));
    c.single_tenant_form = true;
    return;
  }
  const auto list = root.array("tenants");
  list.for_each_object([&](const JsonObjectReader& o, std::size_t) {
    c.tenants.push_back(read_tenant(c, o, base_dir, env, defaults));
  });
  if (c.tenants.empty()) throw JsonError(list.path(), "lists no tenant: name at least one");
}

bool is_valid_tenant_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '~' || ch == '.' || ch == '_' || ch == '-';
  });
}

}  // namespace ato::bridge
