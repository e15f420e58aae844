#include "simulator/serve.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "core/files.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "core/net/http_server.hpp"
#include "core/net/tls_identity.hpp"
#include "core/service_key.hpp"
#include "simulator/alm/cloud_alm.hpp"
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
    if (item == "manage") out.push_back(full_scope(kManageScope));
    else if (item == "display") out.push_back(full_scope(kDisplayScope));
    else out.push_back(item);  // a full scope name
  }
  return out;
}

net::TlsIdentity tls_identity(const ServeOptions& o) {
  if (o.tls_cert && o.tls_key) return {read_text_file(*o.tls_cert), read_text_file(*o.tls_key)};
  std::vector<std::string> names = {"localhost", "127.0.0.1", "::1"};
  if (o.listen != "0.0.0.0" && o.listen != "::" && o.listen != "127.0.0.1" && o.listen != "::1")
    names.insert(names.begin(), o.listen);
  return net::make_self_signed_identity(names, std::chrono::hours(24 * 30));
}

std::string host_for_url(const std::string& listen) {
  if (listen == "0.0.0.0") return "127.0.0.1";
  if (listen == "::") return "[::1]";
  return listen.find(':') != std::string::npos ? "[" + listen + "]" : listen;
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
  const fs::path state_dir = o.state_dir ? *o.state_dir
                             : o.ready_file && o.ready_file->has_parent_path() ? o.ready_file->parent_path()
                                                                                : fs::path(".");
  try {
    fs::create_directories(state_dir);
    net::HttpServers servers(o.threads);
    net::ListenOptions listen;
    listen.address = o.listen;
    listen.port = o.alm_port;
    std::optional<net::TlsIdentity> identity;
    if (!o.plain) listen.tls = identity = tls_identity(o);
    CloudAlm* alm = nullptr;  // set before the servers run
    const auto port = servers.listen(listen, [&alm](const net::HttpRequest& r) { return alm->handle(r); });

    const std::string alm_url = fmt::format("{}://{}:{}", o.plain ? "http" : "https", host_for_url(o.listen), port);
    TokenSettings token_settings{o.client_id, Secret(o.client_secret.value_or(random_secret())), scope_names(o.scopes),
                                 o.token_ttl, alm_url + "/oauth/token"};
    TokenAuthority tokens(token_settings);
    AlmSettings alm_settings = default_alm_settings();
    alm_settings.max_package_size = o.max_package_size;
    alm_settings.journal_file = o.journal;
    CloudAlm cloud_alm(alm_settings, tokens, faults);
    alm = &cloud_alm;

    // What a bridge needs, in the files it would get from a real tenant.
    std::optional<fs::path> ca_file;
    if (identity) {
      ca_file = fs::absolute(state_dir / "ato-sim-ca.pem");
      write_file_atomically(*ca_file, identity->certificate_pem, 0644, Overwrite::Yes);
    }
    ServiceKey key;
    key.api_url = alm_url + "/api";
    key.uaa_url = alm_url;
    key.client_id = o.client_id;
    key.client_secret = token_settings.client_secret;
    key.identity_zone = "ato-sim";
    key.tenant_id = "00000000-0000-4000-8000-000000000001";
    key.xsappname = std::string(kScopePrefix);
    const fs::path key_file = fs::absolute(state_dir / "ato-sim-service-key.json");
    write_file_atomically(key_file, to_json(key), 0600, Overwrite::Yes);

    if (o.ready_file) {
      std::string ready;
      JsonWriter json(ready);
      json.begin_object().field("pid", static_cast<std::int64_t>(getpid())).field("alm_url", alm_url);
      json.field("token_url", alm_url + "/oauth/token").key("push_urls").begin_object();
      for (const auto& [service, path] : alm_settings.push_paths) {
        std::string name(to_string(service));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        json.field(name, alm_url + path);
      }
      json.end_object().key("ca_file");
      if (ca_file) json.value(ca_file->string());
      else json.null();
      json.field("service_key_file", key_file.string()).end_object();
      write_file_atomically(*o.ready_file, pretty_json(ready), 0600, Overwrite::Yes);
    }
    spdlog::info("fake Cloud ALM listening on {} ({}); service key {}{}", alm_url,
                 o.plain ? "plain HTTP" : "TLS, CA " + ca_file->string(), key_file.string(),
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
