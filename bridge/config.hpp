// The bridge's configuration: one JSON file (documented in README.md) naming the Cloud ALM service
// key, the tenants (one SAP_COM_0690 arrangement each: its ATO feed, communication user and outbound
// services), the outbox, retry, TLS, admin and logging. Loading checks everything and derives the
// communication system as SAP's guide does.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bridge/outbox/retry_policy.hpp"
#include "core/lms.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "core/service_key.hpp"

namespace ato::bridge {

using std::chrono::milliseconds;

// Our default paths for the push API (SAP does not publish SAP_COM_0690's; schema/README.md).
inline constexpr std::string_view kDefaultExportPath = "/api/calm-deployments/v1/ato/exports";
inline constexpr std::string_view kDefaultImportPath = "/api/calm-deployments/v1/ato/imports";
inline constexpr std::string_view kDefaultStatusChangePath = "/api/calm-deployments/v1/ato/status-changes";
inline constexpr std::string_view kDefaultAdminListen = "127.0.0.1:8690";
inline constexpr int kMaxPackageSize = 10'000;

// One outbound service of the arrangement (Export, Import, Status Change, Retry).
struct OutboundService {
  bool active = true;
  milliseconds run_every = std::chrono::minutes(5);  // SAP's job runs every 5 minutes
  int package_size = 100;
  std::string path;  // empty for retry: a retried event goes to its own service's path
};

enum class Durability { Normal, Full };

// Where each communication-system value came from, for `config check`.
struct Provenance {
  std::string host, port, token_endpoint, client_id,
      client_secret;  // client_secret: how the client authenticates
};

// The communication system of SAP_COM_0690, derived from the service key (overridable).
struct CommunicationSystem {
  std::string host;  // scheme://host[:port], endpoints.Api without /api
  std::uint16_t port = 443;
  std::string token_endpoint;  // uaa.url + /oauth/token
  std::string client_id;
  CredentialType credential_type = CredentialType::Secret;
  Secret client_secret;            // secret keys: HTTP Basic at the token endpoint
  std::string client_certificate;  // X.509 keys: mutual TLS at the token endpoint (uaa.certurl)
  Secret client_key;
  Provenance provenance;
};

struct AtoConnection {
  std::string feed_url;
  std::string user;
  Secret password;
  std::string password_source;  // "the configuration file", "environment variable X", "file F"
};

// A tenant name: what the outbox, status and metrics call it (e.g. S4D~080 or dev-080).
bool is_valid_tenant_name(std::string_view name);

// One tenant's SAP_COM_0690 arrangement, as SAP's guide sets one up per tenant: its own feed,
// communication user, event numbering and outbound services. The retry job is the bridge's one
// (BridgeConfig::retry_service): it re-sends any tenant's failed events, each to its tenant's path.
struct TenantConfig {
  std::string name;
  AtoConnection ato;
  OutboundService export_service, import_service, status_change_service;
  std::string config_path;  // where it is in the file ("tenants[1]" or "ato"), for messages
};

// How packages go to Cloud ALM: parallel keep-alive connections and the timeout of each network
// operation (connect, TLS handshake, write, read).
struct PushSettings {
  int connections = 2;
  milliseconds timeout = std::chrono::seconds(30);
};

// Landscape registration (`registration` section): the systems to register in Cloud ALM's Landscape
// Management, when the ATO feed does not list them, and the optional service-ID suffix.
struct LandscapeRegistration {
  std::vector<std::pair<SystemRef, SystemRole>> systems;
  std::optional<std::string> suffix;
};

// The configuration file's sections that are plain settings, as the file names them.
struct OutboxSettings {  // outbox
  std::filesystem::path path;
  Durability durability = Durability::Normal;
  milliseconds keep_done_for = std::chrono::hours(24 * 7);
};
struct TlsSettings {                             // tls
  std::optional<std::filesystem::path> ca_file;  // none: the system's CA store
  bool verify = true;
  bool allow_plain_http = false;  // http:// to hosts that are not loopback
};
struct AdminSettings {  // admin
  std::string listen{kDefaultAdminListen};
  // token_env / token_file / token: when set, every admin request but the probes (/healthz,
  // /readyz) and /metrics must carry `Authorization: Bearer <token>` (status, POST /tick change or
  // reveal what the bridge does). Empty: no token (fine on loopback; warned otherwise).
  Secret token;
  std::string token_source;
};
struct CollectSettings {  // collect
  bool backfill = false;
  int max_pages_per_run = 10'000;  // a feed's nextLinks cannot run forever
};
struct ServiceKeyFile {  // cloud_alm.service_key_file, and what it holds
  std::filesystem::path path;
  ServiceKey key;
};

struct BridgeConfig {
  std::filesystem::path config_file;
  ServiceKeyFile service_key;
  CommunicationSystem cloud_alm;  // derived from the service key
  // At least one. A file with one `ato` section (and no `tenants`) has one tenant named "default".
  std::vector<TenantConfig> tenants;
  OutboundService retry_service;
  OutboxSettings outbox;
  RetryPolicy retry_policy;
  TlsSettings tls;
  PushSettings push;
  LandscapeRegistration registration;
  AdminSettings admin;
  LogOptions log;
  CollectSettings collect;
  std::vector<std::string> warnings;  // worth telling the user, not fatal

  const TenantConfig* tenant(std::string_view name) const;
  bool single_tenant_form = false;  // written as one `ato` section, not a `tenants` list
};

// A configuration that cannot be used. what() names the file, the field and what is expected.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);

BridgeConfig load_config(const std::filesystem::path& file, const EnvLookup& env = process_env);
// For commands that touch only the outbox, the admin endpoint or Cloud ALM (status, tick, dead
// letters, loadtest): the configuration without requiring the tenants' passwords in the environment
// (an operator need not have them to run these).
BridgeConfig load_config_without_secrets(const std::filesystem::path& file);
// The configuration in `text`, as if read from `file` (relative paths in it are relative to its
// directory; the service key and secret files it names are read).
BridgeConfig parse_config(std::string_view text, const std::filesystem::path& file,
                          const EnvLookup& env = process_env);

// The effective configuration with every secret shown as ****.
std::string effective_config_json(const BridgeConfig& config);
std::string effective_config_text(const BridgeConfig& config);

// A tenant for `config init`: its name, feed and communication user, the password by environment
// variable (the generated file holds no secret).
struct InitTenant {
  std::string name;
  std::string feed_url;
  std::string user;
  std::string password_env;
};

struct InitOptions {
  std::filesystem::path service_key_file;
  std::vector<InitTenant> tenants;  // one: written as the single `ato` section when named "default"
  std::optional<std::filesystem::path> ca_file;
  milliseconds run_every = std::chrono::minutes(5);
  std::string admin_listen{kDefaultAdminListen};
  std::optional<std::filesystem::path> out;  // where the file will live (relative paths are made for it)
};

// A complete configuration with every default spelled out. Validates the service key first, so the
// user starts from a file that works.
std::string init_config_json(const InitOptions& options);

}  // namespace ato::bridge
