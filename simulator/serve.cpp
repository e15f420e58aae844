#include "simulator/serve.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>

#include "core/files.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "core/net/http_server.hpp"
#include "core/net/tls_identity.hpp"
#include "core/service_key.hpp"
#include "simulator/alm/cloud_alm.hpp"
#include "simulator/ato/feed.hpp"
#include "simulator/ato/sources.hpp"
#include "simulator/sample_key.hpp"

namespace ato::sim {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> scope_names(const std::string& list) {
  std::vector<std::string> out;
  std::string_view rest = list;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string item(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.empty()) continue;
    if (item == "manage")
      out.push_back(full_scope(kManageScope));
    else if (item == "display")
      out.push_back(full_scope(kDisplayScope));
    else if (item == "features.read" || item == "features.write")  // the public Features API's
      out.push_back(full_scope("calm-api." + item));
    else
      out.push_back(item);  // a full scope name
  }
  return out;
}

net::TlsIdentity tls_identity(const ServeOptions& o) {
  if (o.server.tls_cert && o.server.tls_key)
    return {read_text_file(*o.server.tls_cert), read_text_file(*o.server.tls_key)};
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (o.server.listen != "0.0.0.0" && o.server.listen != "::" && o.server.listen != "127.0.0.1" &&
      o.server.listen != "::1")
    names.insert(names.begin(), o.server.listen);
  return net::make_self_signed_identity(names, std::chrono::hours(24 * 30));
}

std::string host_for_url(const std::string& listen) {
  if (listen == "0.0.0.0") return "127.0.0.1";
  if (listen == "::") return "[::1]";
  return listen.find(':') != std::string::npos ? "[" + listen + "]" : listen;
}

// --sids: development, test and production system IDs, comma-separated.
std::vector<std::string> split_sids(std::string_view rest) {
  std::vector<std::string> sids;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    sids.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return sids;
}

// The systems the fake ATO lists, with their roles from --sids (development, test, production).
std::vector<AtoSystem> landscape_systems(const EventSource& source, const ServeOptions& o) {
  const auto sids = split_sids(o.tenants.sids);
  std::vector<AtoSystem> out;
  for (const auto& system : source.systems()) {
    const auto at = std::find(sids.begin(), sids.end(), system.sid) - sids.begin();
    const SystemRole role = at == 0   ? SystemRole::Development
                            : at == 2 ? SystemRole::Production
                                      : SystemRole::Test;
    out.push_back(
        {system, role,
         fmt::format("{} system {}, client {}", name_of(kSystemRoleNames, role), system.sid, system.client)});
  }
  return out;
}

std::unique_ptr<EventSource> make_source(const ServeOptions& o) {
  const EpochMillis now = now_epoch_millis();
  if (o.recording.file) {
    auto recording =
        read_recording(*o.recording.file, o.recording.abort_on_bad_line ? OnBadLine::Abort : OnBadLine::Skip);
    for (const auto& problem : recording.problems) spdlog::warn("skipped {}", problem);
    return std::make_unique<ReplaySource>(std::move(recording.events), o.recording.speed, now,
                                          o.recording.file->string());
  }
  LandscapeSettings settings;
  const auto sids = split_sids(o.tenants.sids);
  if (sids.size() != 3 || !is_valid_sid(sids[0]) || !is_valid_sid(sids[1]) || !is_valid_sid(sids[2]) ||
      sids[0] == sids[1] || sids[1] == sids[2] || sids[0] == sids[2])
    throw std::invalid_argument(
        "--sids: expected three different system IDs like S4D,S4T,S4P (development, test, production)");
  settings.dev_sid = sids[0];
  settings.test_sid = sids[1];
  settings.prod_sid = sids[2];
  settings.seed = o.seed;
  settings.start_time = o.generate.start_time.value_or(now);
  settings.transports_per_minute = o.generate.rate;
  settings.transport_count = o.generate.count;
  settings.shares = o.generate.shares;
  settings.auto_import = o.generate.imports == "auto";
  settings.upgrade_window = o.generate.upgrade_window;
  settings.collection_test_import_every = o.generate.collection_test_import_every;
  settings.collection_production_import_every = o.generate.collection_production_import_every;
  return std::make_unique<GeneratedSource>(settings, o.generate.time_scale, now);
}

// --activate TENANT=WHEN, checked against the tenants the source has.
Activation parse_activation(std::string_view when, EpochMillis source_start) {
  if (when == "later") return {Activation::Kind::OnRequest, 0};
  if (!when.empty() && when.front() == '+') {
    if (const auto offset = parse_duration(when.substr(1)))
      return {Activation::Kind::At, source_start + offset->count()};
  } else if (const auto at = parse_iso8601_utc(when)) {
    return {Activation::Kind::At, *at};
  }
  throw std::invalid_argument(
      fmt::format("--activate: '{}': expected +DURATION (after the landscape's start, e.g. +2h), an ISO-8601 "
                  "UTC time, or "
                  "later (only by POST /sim/ato/tenants/NAME/activate)",
                  when));
}

// One tenant per system of the landscape (SAP_COM_0690 is set up per tenant), each with its own
// communication user and password.
std::vector<TenantSettings> tenant_settings(const EventSource& source, const ServeOptions& o) {
  std::vector<TenantSettings> tenants;
  for (const auto& system : source.systems())
    tenants.push_back({system,
                       fmt::format("{}_{}{}", o.tenants.user, system.sid, system.client),
                       Secret(o.tenants.password.value_or(random_secret())),
                       {}});
  for (const auto& spec : o.tenants.activations) {
    const auto eq = spec.find('=');
    const std::string name = spec.substr(0, eq);
    auto tenant = std::find_if(tenants.begin(), tenants.end(),
                               [&](const TenantSettings& t) { return t.system.key() == name; });
    if (eq == std::string::npos || tenant == tenants.end()) {
      std::string known;
      for (const auto& t : tenants) known += (known.empty() ? "" : ", ") + t.system.key();
      throw std::invalid_argument(fmt::format(
          "--activate: '{}': expected TENANT=WHEN with a tenant of this landscape ({})", spec, known));
    }
    tenant->activation = parse_activation(std::string_view(spec).substr(eq + 1), source.start_time());
  }
  return tenants;
}

}  // namespace

int serve(const ServeOptions& o) {
  setup_logging({o.log_level, LogFormat::Text, "ato-sim"});
  FaultInjector faults(o.seed);
  try {
    faults.set_rules(parse_fault_spec(o.faults));
  } catch (const FaultSpecError& e) {
    spdlog::error("--faults: {}", e.what());
    return 2;
  }
  const fs::path state_dir = o.state_dir                                       ? *o.state_dir
                             : o.ready_file && o.ready_file->has_parent_path() ? o.ready_file->parent_path()
                                                                               : fs::path(".");
  try {
    fs::create_directories(state_dir);
    net::HttpServers servers(o.server.threads);
    std::optional<net::TlsIdentity> identity;
    if (!o.server.plain) identity = tls_identity(o);
    const std::string scheme = o.server.plain ? "http" : "https";
    std::optional<fs::path> ca_file;
    if (identity) {
      ca_file = fs::absolute(state_dir / "ato-sim-ca.pem");
      write_file_atomically(*ca_file, identity->certificate_pem, 0644, Overwrite::Yes);
    }
    std::string ready;
    JsonWriter json(ready);
    json.begin_object().field("pid", static_cast<std::int64_t>(getpid()));

    // Binds one listener (both halves share address, TLS identity and threads); returns its base URL.
    auto listen_on = [&](std::uint16_t port, net::Handler handler,
                         std::optional<std::string> client_ca = std::nullopt) {
      net::ListenOptions listen;
      listen.address = o.server.listen;
      listen.port = port;
      listen.tls = identity;
      listen.client_ca_pem = std::move(client_ca);
      const auto bound = servers.listen(listen, std::move(handler));
      return fmt::format("{}://{}:{}", scheme, host_for_url(o.server.listen), bound);
    };

    // The fake Cloud ALM.
    std::unique_ptr<TokenAuthority> tokens;
    std::unique_ptr<CloudAlm> cloud_alm;
    CloudAlm* alm = nullptr;  // set before the servers run
    std::string alm_url;
    std::optional<fs::path> key_file;
    if (o.only != "ato") {
      alm_url = listen_on(o.server.alm_port, [&alm](const net::HttpRequest& r) { return alm->handle(r); });
      TokenSettings token_settings{o.xsuaa.client_id,
                                   Secret(o.xsuaa.client_secret.value_or(random_secret())),
                                   scope_names(o.xsuaa.scopes),
                                   o.xsuaa.token_ttl,
                                   alm_url + "/oauth/token",
                                   "ato-sim",
                                   "00000000-0000-4000-8000-000000000001"};
      tokens = std::make_unique<TokenAuthority>(token_settings);
      AlmSettings alm_settings = default_alm_settings();
      alm_settings.max_package_size = o.max_package_size;
      alm_settings.journal_file = o.journal_of_events.path;
      alm_settings.journal_memory_events = o.journal_of_events.memory;
      alm_settings.lms_check = o.lms_check;
      alm_settings.features_page_size = o.odata_page_size;
      alm_settings.sandbox_api_key = o.xsuaa.sandbox_api_key.value_or(random_secret());
      cloud_alm = std::make_unique<CloudAlm>(alm_settings, *tokens, faults);
      alm = cloud_alm.get();
      // What a bridge needs, in the file it would get from a real tenant.
      ServiceKey key;
      key.api_url = alm_url + "/api";
      key.uaa_url = alm_url;
      key.client_id = o.xsuaa.client_id;
      key.client_secret = token_settings.client_secret;
      key.identity_zone = token_settings.identity_zone;
      key.tenant_id = token_settings.tenant_id;
      key.xsappname = std::string(kScopePrefix);
      // XSUAA's domain, where clients such as @sap/xssec fetch <uaadomain>/token_keys: host and port here.
      key.uaa_domain = alm_url.substr(alm_url.find("://") + 3);
      key.verification_key = tokens->verification_key_pem();
      key.sburl = alm_url;
      std::string cert_url;
      if (o.xsuaa.x509) {
        // The fake XSUAA's mTLS host: it takes only the key's own client certificate.
        make_x509(key, "");
        cert_url = listen_on(
            0, [&alm](const net::HttpRequest& r) { return alm->handle_certified(r); }, key.certificate);
        key.cert_url = cert_url;
      }
      key_file = fs::absolute(state_dir / "ato-sim-service-key.json");
      write_file_atomically(*key_file, to_json(key), 0600, Overwrite::Yes);
      json.field("alm_url", alm_url).field("token_url", alm_url + "/oauth/token");
      if (o.xsuaa.x509) json.field("cert_token_url", cert_url + "/oauth/token");
      json.key("push_urls").begin_object();
      for (const auto& [service, path] : alm_settings.push_paths) {
        std::string name(to_string(service));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        json.field(name, alm_url + path);
      }
      json.end_object().field("service_key_file", key_file->string());
      json.field("sandbox_url", alm_url + "/SAPCALM").field("sandbox_api_key", alm_settings.sandbox_api_key);
    }

    // The fake ATO.
    std::unique_ptr<AtoFeed> feed;
    AtoFeed* ato = nullptr;
    std::string ato_url;
    if (o.only != "alm") {
      ato_url = listen_on(o.server.ato_port, [&ato](const net::HttpRequest& r) { return ato->handle(r); });
      auto source = make_source(o);
      auto systems = landscape_systems(*source, o);
      FeedSettings settings{ato_url, tenant_settings(*source, o), 500, 5000, std::move(systems)};
      json.field("ato_url", ato_url).key("tenants").begin_array();
      for (const auto& t : settings.tenants) {
        const auto role = std::find_if(settings.systems.begin(), settings.systems.end(),
                                       [&](const AtoSystem& s) { return s.system == t.system; });
        json.begin_object()
            .field("name", t.system.key())
            .field("role", role == settings.systems.end() ? "test" : name_of(kSystemRoleNames, role->role))
            .field("feed_url", ato_url + tenant_prefix(t.system.key()) + std::string(kFeedPath))
            .field("user", t.user)
            .field("password", t.password.reveal())  // the ready file is private (0600), like the key
            .field("active", t.activation.kind == Activation::Kind::FromStart)
            .end_object();
      }
      json.end_array();
      feed = std::make_unique<AtoFeed>(std::move(settings), std::move(source), faults);
      ato = feed.get();
    }
    // Both halves here: deploying a feature in the fake Cloud ALM imports into the fake ATO.
    if (cloud_alm && feed)
      cloud_alm->set_ato_inbound(
          {[&feed](const std::string& system) { return feed->role_of(system); },
           [&feed](const std::vector<std::string>& transports, const std::string& system) {
             return feed->deploy(transports, system);
           },
           [&feed](const std::string& system, const std::string& description) {
             auto made = feed->create_transport(system, description);
             return std::pair{std::move(made.transport), std::move(made.error)};
           }});
    json.key("ca_file");
    if (ca_file)
      json.value(ca_file->string());
    else
      json.null();
    json.end_object();
    if (o.ready_file) write_file_atomically(*o.ready_file, pretty_json(ready), 0600, Overwrite::Yes);
    if (!alm_url.empty()) spdlog::info("fake Cloud ALM on {}; service key {}", alm_url, key_file->string());
    if (!ato_url.empty())
      spdlog::info("fake ATO on {}: a feed per tenant under {}{}: {}", ato_url, tenant_prefix("<SID~client>"),
                   kFeedPath, ato->describe_source());
    spdlog::info("{}{}", o.server.plain ? "plain HTTP" : "TLS, CA " + ca_file->string(),
                 faults.rules().empty() ? "" : fmt::format("; {} fault rule(s)", faults.rules().size()));
    servers.run([](int signal) { spdlog::info("signal {}: stopping", signal); });
    spdlog::info("stopped");
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", redact(e.what()));
    return 1;
  }
}

}  // namespace ato::sim
