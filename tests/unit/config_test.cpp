#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/config.hpp"
#include "core/service_key.hpp"
#include "tests/support/process.hpp"

using namespace ato;
using namespace ato::bridge;
using ato::test::TempDir;
using ato::test::write_text;

namespace {

constexpr const char* kSecret = "s3cr3t-Client-Value-0123456789";
constexpr const char* kPassword = "ato-P4ssword-Value";

std::string service_key_json(const std::string& api = "https://mytenant.eu10.alm.cloud.sap/api") {
  return R"({"uaa":{"clientid":"sb-calm!b1|sapcloudalm!b2","clientsecret":")" + std::string(kSecret) +
         R"(","url":"https://mytenant.authentication.eu10.hana.ondemand.com","identityzone":"mytenant",
         "tenantid":"t-1","uaadomain":"authentication.eu10.hana.ondemand.com"},"endpoints":{"Api":")" +
         api + R"("},"sap.cloud.service":"com.sap.cloud.alm"})";
}

struct Fixture {
  TempDir dir;
  std::filesystem::path key = dir / "key.json";
  std::filesystem::path config = dir / "bridge.json";
  EnvLookup env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "ATO_PASSWORD") return kPassword;
    return std::nullopt;
  };

  Fixture() {
    write_text(key, service_key_json());
    chmod(key.c_str(), 0600);
  }

  // A configuration with `extra` spliced into the top-level object.
  void write_config(const std::string& extra = "", const std::string& ato_extra = "") {
    write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},
      "ato":{"feed_url":"https://s4d.example.com/feed/Events","user":"CALM_COMM","password_env":"ATO_PASSWORD")" +
                           ato_extra + "}" + extra + "}");
  }

  BridgeConfig load() { return load_config(config, env); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "the communication system is derived from the service key as SAP's guide says") {
  write_config();
  const auto c = load();
  CHECK(c.cloud_alm.host == "https://mytenant.eu10.alm.cloud.sap");
  CHECK(c.cloud_alm.port == 443);
  CHECK(c.cloud_alm.token_endpoint == "https://mytenant.authentication.eu10.hana.ondemand.com/oauth/token");
  CHECK(c.cloud_alm.client_id == "sb-calm!b1|sapcloudalm!b2");
  CHECK(c.cloud_alm.client_secret.reveal() == kSecret);
  // A single `ato` section is one tenant named "default" (outboxes from before tenants know it so).
  REQUIRE(c.tenants.size() == 1);
  const auto& t = c.tenants.front();
  CHECK(t.name == "default");
  CHECK(c.single_tenant_form);
  CHECK(t.ato.password.reveal() == kPassword);
  CHECK(t.ato.password_source == "environment variable ATO_PASSWORD");
  CHECK(c.warnings.empty());
  // Defaults of the four outbound services: every 5 minutes, packages of 100, our paths.
  for (const auto* s : {&t.export_service, &t.import_service, &t.status_change_service, &c.retry_service}) {
    CHECK(s->active);
    CHECK(s->run_every == std::chrono::minutes(5));
    CHECK(s->package_size == 100);
  }
  CHECK(t.export_service.path == kDefaultExportPath);
  CHECK(c.retry_service.path.empty());
  CHECK(c.outbox.path == dir.path() / "ato-bridge-outbox.db");
  CHECK(c.outbox.durability == Durability::Normal);
  CHECK(c.tls.verify);
  CHECK_FALSE(c.collect.backfill);
}

TEST_CASE_FIXTURE(Fixture, "a key with an explicit port and a trailing slash keeps the port") {
  write_text(key, service_key_json("https://127.0.0.1:8443/api/"));
  write_config();
  const auto c = load();
  CHECK(c.cloud_alm.host == "https://127.0.0.1:8443");
  CHECK(c.cloud_alm.port == 8443);
}

TEST_CASE_FIXTURE(Fixture, "each derived value can be overridden") {
  write_text(dir / "secret.txt", "override-Secret-42\n");
  write_config(R"(,"tls":{"ca_file":"key.json"})");
  write_text(config, R"({"cloud_alm":{"service_key_file":"key.json","host":"https://alm.example.com:9443",
      "port":8443,"token_endpoint":"https://uaa.example.com/oauth/token","client_id":"other",
      "client_secret_file":"secret.txt"},
      "ato":{"feed_url":"https://s4d.example.com/feed","user":"U","password_env":"ATO_PASSWORD"}})");
  const auto c = load();
  CHECK(c.cloud_alm.host == "https://alm.example.com:9443");
  CHECK(c.cloud_alm.port == 8443);
  CHECK(c.cloud_alm.token_endpoint == "https://uaa.example.com/oauth/token");
  CHECK(c.cloud_alm.client_id == "other");
  CHECK(c.cloud_alm.client_secret.reveal() == "override-Secret-42");
  CHECK(c.cloud_alm.provenance.port == "cloud_alm.port");
}

TEST_CASE_FIXTURE(Fixture, "errors name the file, the field and what is expected") {
  const std::string file = config.string();
  SUBCASE("missing client secret in the key") {
    write_text(
        key, R"({"uaa":{"clientid":"c","url":"https://u.example.com"},"endpoints":{"Api":"https://a/api"}})");
    write_config();
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("key.json: uaa.clientsecret: missing (expected string)"),
                         ConfigError);
  }
  SUBCASE("unreadable configuration") {
    CHECK_THROWS_WITH_AS(load_config(dir / "nope.json", env),
                         doctest::Contains(("cannot read " + (dir / "nope.json").string()).c_str()),
                         ConfigError);
  }
  SUBCASE("invalid JSON") {
    write_text(config, "{\"cloud_alm\": ");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains((file + ": not valid JSON").c_str()), ConfigError);
  }
  SUBCASE("a run_every of 5 parsecs") {
    write_config(R"(,"services":{"export":{"run_every":"5 parsecs"}})");
    CHECK_THROWS_WITH_AS(
        load(),
        (file + ": services.export.run_every: expected a duration like 5m, 30s or 1h (got \"5 parsecs\")")
            .c_str(),
        ConfigError);
  }
  SUBCASE("a negative package size") {
    write_config(R"(,"services":{"import":{"package_size":-5}})");
    CHECK_THROWS_WITH_AS(
        load(), (file + ": services.import.package_size: must be between 1 and 10000").c_str(), ConfigError);
  }
  SUBCASE("a misspelt field") {
    write_config(R"(,"services":{"export":{"packge_size":5}})");
    CHECK_THROWS_WITH_AS(load(), (file + ": services.export.packge_size: unknown field").c_str(),
                         ConfigError);
  }
  SUBCASE("a path for the retry service") {
    write_config(R"(,"services":{"retry":{"path":"/x"}})");
    CHECK_THROWS_WITH_AS(load(), (file + ": services.retry.path: unknown field").c_str(), ConfigError);
  }
  SUBCASE("an unset password variable") {
    write_config("", "");
    EnvLookup empty = [](const std::string&) { return std::optional<std::string>(); };
    CHECK_THROWS_WITH_AS(
        load_config(config, empty),
        (file + ": ato.password_env: environment variable ATO_PASSWORD is not set (or empty)").c_str(),
        ConfigError);
  }
  SUBCASE("two password sources") {
    write_config("", R"(,"password":"x")");
    CHECK_THROWS_WITH_AS(load(),
                         doctest::Contains("ato: give only one of password, password_env and password_file"),
                         ConfigError);
  }
  SUBCASE("a bad durability, log level and admin address") {
    write_config(R"(,"outbox":{"durability":"sometimes"})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("outbox.durability: expected one of normal, full"),
                         ConfigError);
    write_config(R"(,"log":{"level":"loud"})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("log.level: expected one of"), ConfigError);
    write_config(R"(,"admin":{"listen":"127.0.0.1:99999"})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("admin.listen: '127.0.0.1:99999' has an invalid port"),
                         ConfigError);
    write_config(R"(,"admin":{"listen":"::1"})");  // IPv6 without brackets and port
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("admin.listen: '::1' is not host:port"), ConfigError);
    write_config(R"(,"admin":{"listen":"[::1]"})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("admin.listen: '[::1]' has no port"), ConfigError);
    write_config(R"(,"admin":{"listen":"admin.example.com:8690"})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("does not name an IP address or localhost"), ConfigError);
    write_config(R"(,"admin":{"listen":"[::1]:0"})");
    CHECK(load().admin.listen == "[::1]:0");
  }
  SUBCASE("a retry cap below its base") {
    write_config(R"(,"retry_policy":{"base":"2h","cap":"1h"})");
    CHECK_THROWS_WITH_AS(load(),
                         doctest::Contains("retry_policy.cap: must not be shorter than retry_policy.base"),
                         ConfigError);
  }
  SUBCASE("a feed URL that is not one") {
    write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},
      "ato":{"feed_url":"s4d.example.com/feed","user":"U","password_env":"ATO_PASSWORD"}})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("ato.feed_url: not an absolute URL"), ConfigError);
  }
}

TEST_CASE_FIXTURE(Fixture, "risky settings draw warnings, not silence") {
  chmod(key.c_str(), 0644);
  write_config(R"(,"tls":{"verify":false},"admin":{"listen":"0.0.0.0:8690"})");
  const auto c = load();
  REQUIRE(c.warnings.size() == 3);
  CHECK(c.warnings[0].find("tls.verify is false") != std::string::npos);
  CHECK(c.warnings[1].find("readable by other users") != std::string::npos);
  CHECK(c.warnings[2].find("reachable from other machines") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "plain http is refused where credentials would leave the machine") {
  SUBCASE("the feed") {
    write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},
      "ato":{"feed_url":"http://s4d.example.com/feed/Events","user":"U","password_env":"ATO_PASSWORD"}})");
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("ato.feed_url: http://s4d.example.com uses plain http"),
                         ConfigError);
  }
  SUBCASE("the service key's API and token URLs") {
    write_text(key, service_key_json("http://mytenant.eu10.alm.cloud.sap/api"));
    write_config();
    CHECK_THROWS_WITH_AS(load(), doctest::Contains("the Cloud ALM host (endpoints.Api or cloud_alm.host)"),
                         ConfigError);
    write_text(key, service_key_json());
    write_text(
        config,
        R"({"cloud_alm":{"service_key_file":"key.json","token_endpoint":"http://uaa.example.com/oauth/token"},
      "ato":{"feed_url":"https://s4d.example.com/feed/Events","user":"U","password_env":"ATO_PASSWORD"}})");
    CHECK_THROWS_WITH_AS(load(),
                         doctest::Contains("the token endpoint (uaa.url or cloud_alm.token_endpoint): "
                                           "http://uaa.example.com uses plain http"),
                         ConfigError);
  }
  SUBCASE("loopback is fine, and so is an explicit allow_plain_http, warned") {
    write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},
      "ato":{"feed_url":"http://127.0.0.1:8080/feed/Events","user":"U","password_env":"ATO_PASSWORD"}})");
    CHECK(load().warnings.empty());
    write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"}, "tls":{"allow_plain_http":true},
      "ato":{"feed_url":"http://s4d.example.com/feed/Events","user":"U","password_env":"ATO_PASSWORD"}})");
    const auto c = load();
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0].find("tls.allow_plain_http is true and ato.feed_url use(s) plain http") !=
          std::string::npos);
  }
}

TEST_CASE_FIXTURE(Fixture, "URLs that parse wrongly are refused with the field named") {
  write_text(key, R"({"uaa":{"clientid":"c","clientsecret":"s","url":"https://uaa.example.com:443oauth"},
    "endpoints":{"Api":"https://mytenant.eu10.alm.cloud.sap/api"}})");
  write_config();
  CHECK_THROWS_WITH_AS(load(), doctest::Contains("uaa.url: has text right after the port: 'oauth'"),
                       ConfigError);
  write_text(key, service_key_json("https://mytenant.eu10.alm.cloud.sap:99999/api"));
  CHECK_THROWS_WITH_AS(load(), doctest::Contains("endpoints.Api: has an invalid port '99999'"), ConfigError);
}

TEST_CASE_FIXTURE(Fixture, "the effective configuration shows no secret") {
  write_config();
  const auto c = load();
  for (const auto& text : {effective_config_json(c), effective_config_text(c)}) {
    CHECK(text.find(kSecret) == std::string::npos);
    CHECK(text.find(kPassword) == std::string::npos);
    CHECK(text.find("****") != std::string::npos);
    CHECK(text.find("https://mytenant.eu10.alm.cloud.sap") != std::string::npos);
    CHECK(text.find("/oauth/token") != std::string::npos);
  }
}

TEST_CASE_FIXTURE(Fixture, "config init writes a file that loads with every default spelled out") {
  InitOptions options;
  options.service_key_file = key;
  options.tenants = {{"default", "https://s4d.example.com/feed/Events", "CALM_COMM", "ATO_PASSWORD"}};
  options.run_every = std::chrono::seconds(30);
  options.out = config;
  const std::string json = init_config_json(options);
  for (const char* field :
       {"\"run_every\": \"30s\"", "\"package_size\": 100", "\"durability\": \"normal\"",
        "\"max_attempts\": 50", "\"ca_file\": null", "\"service_key_file\": \"key.json\""})
    CHECK_MESSAGE(json.find(field) != std::string::npos, field);
  write_text(config, json);
  const auto c = load();
  CHECK(c.tenants.at(0).export_service.run_every == std::chrono::seconds(30));
  CHECK(c.retry_service.run_every == std::chrono::seconds(30));
  CHECK(c.cloud_alm.host == "https://mytenant.eu10.alm.cloud.sap");

  options.service_key_file = dir / "missing.json";
  CHECK_THROWS_WITH_AS(init_config_json(options), doctest::Contains("cannot read"), ConfigError);
}

TEST_CASE_FIXTURE(Fixture, "push and registration settings, and their errors") {
  const std::string file = config.string();
  write_config(R"(,"push":{"connections":4,"timeout":"5s"},)"
               R"("registration":{"systems":[{"system":"S4D~080","role":"development"}],"suffix":"QA"})");
  const auto c = load();
  CHECK(c.push.connections == 4);
  CHECK(c.push.timeout == std::chrono::seconds(5));
  REQUIRE(c.registration.systems.size() == 1);
  CHECK(c.registration.systems[0].first.key() == "S4D~080");
  CHECK(c.registration.systems[0].second == SystemRole::Development);
  CHECK(c.registration.suffix == "QA");
  write_config(R"(,"registration":{"systems":[{"system":"S4D-080","role":"test"}]})");
  CHECK_THROWS_WITH_AS(load(),
                       (file + ": registration.systems[0].system: expected SID~client, like S4D~080").c_str(),
                       ConfigError);
  write_config(R"(,"registration":{"systems":[{"system":"S4D~080","role":"sandbox"}]})");
  CHECK_THROWS_WITH_AS(
      load(),
      (file + ": registration.systems[0].role: expected one of development, test, production").c_str(),
      ConfigError);
  write_config(R"(,"push":{"connections":0})");
  CHECK_THROWS_WITH_AS(load(), (file + ": push.connections: must be between 1 and 64").c_str(), ConfigError);
}

// The example the Debian package installs (/usr/share/doc/ato-bridge/examples/bridge.json) works as
// shipped once its host names are edited: every feed URL names the Events entity set.
TEST_CASE_FIXTURE(Fixture, "the packaged example configuration loads without a warning") {
  std::filesystem::copy_file(std::filesystem::path(ATO_SOURCE_DIR) / "deploy/systemd/bridge.json", config,
                             std::filesystem::copy_options::overwrite_existing);
  write_text(dir / "service-key.json", service_key_json());
  chmod((dir / "service-key.json").c_str(), 0600);
  env = [](const std::string& name) -> std::optional<std::string> {
    if (name.starts_with("ATO_PASSWORD_")) return kPassword;
    return std::nullopt;
  };
  const auto c = load();
  CHECK(c.tenants.size() == 3);
  for (const auto& t : c.tenants) CHECK(t.ato.feed_url.ends_with("/sap/opu/odata4/ato/feed/v1/Events"));
  CHECK(c.warnings.empty());
  // A feed URL without the entity set is named: the feed would answer 404 at every run.
  write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},
      "ato":{"feed_url":"https://s4d.example.com/sap/opu/odata4/ato/feed/v1","user":"U","password_env":"ATO_PASSWORD_X"}})");
  const auto w = load();
  REQUIRE(w.warnings.size() == 1);
  CHECK(w.warnings[0].find("ato.feed_url: https://s4d.example.com/sap/opu/odata4/ato/feed/v1 does not end "
                           "with /Events") != std::string::npos);
}

// The service reads its key as root:ato-bridge 0640 (README, "Running as a service"): the warning
// and its advice agree with that. Readable by the group the process runs as: fine; by other users,
// or by a group the process is not in: warned, with advice that keeps the service able to read it.
TEST_CASE_FIXTURE(Fixture, "a key readable by the bridge's own group draws no warning; by others it does") {
  write_config();
  REQUIRE(chown(key.c_str(), static_cast<uid_t>(-1), getegid()) == 0);
  chmod(key.c_str(), 0640);
  CHECK(load().warnings.empty());
  chmod(key.c_str(), 0644);
  auto c = load();
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0].find("is readable by other users; chmod 600 it (or 640 with the group the bridge runs "
                           "as") != std::string::npos);
  if (geteuid() == 0) {  // only root can give the file a group this process is not in
    const gid_t foreign = 54321;
    REQUIRE(chown(key.c_str(), static_cast<uid_t>(-1), foreign) == 0);
    chmod(key.c_str(), 0640);
    c = load();
    REQUIRE(c.warnings.size() == 1);
    CHECK(c.warnings[0].find("is readable by group 54321, which the bridge does not run as") !=
          std::string::npos);
  }
}

// One feed spelled two ways is one feed: host case, an explicit :443 or a trailing slash.
TEST_CASE_FIXTURE(Fixture, "two tenants on one feed are refused however the URL is spelled") {
  for (const std::string other :
       {"https://S4D.example.com/feed/Events", "https://s4d.example.com:443/feed/Events",
        "https://s4d.example.com/feed/Events/"}) {
    CAPTURE(other);
    write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},"tenants":[
      {"name":"A","feed_url":"https://s4d.example.com/feed/Events","user":"U","password_env":"ATO_PASSWORD"},
      {"name":"B","feed_url":")" +
                           other + R"(","user":"U","password_env":"ATO_PASSWORD"}]})");
    CHECK_THROWS_WITH_AS(load(),
                         doctest::Contains("tenant B reads the same feed with the same user as tenant A"),
                         ConfigError);
  }
  write_text(config, R"({"cloud_alm":{"service_key_file":"key.json"},"tenants":[
    {"name":"A","feed_url":"https://s4d.example.com/feed/Events","user":"U","password_env":"ATO_PASSWORD"},
    {"name":"B","feed_url":"https://s4t.example.com/feed/Events","user":"U","password_env":"ATO_PASSWORD"}]})");
  CHECK(load().tenants.size() == 2);
}

TEST_CASE_FIXTURE(Fixture,
                  "an admin endpoint off loopback is warned without a token; a short token is refused") {
  write_config(R"(,"admin":{"listen":"0.0.0.0:8690"})");
  auto c = load();
  REQUIRE(c.warnings.size() == 1);
  CHECK(c.warnings[0].find("has no authentication: set admin.token_env") != std::string::npos);
  write_text(dir / "admin-token", "0123456789abcdef-long-enough\n");
  chmod((dir / "admin-token").c_str(), 0600);
  write_config(R"(,"admin":{"listen":"0.0.0.0:8690","token_file":"admin-token"})");
  c = load();
  CHECK(c.warnings.empty());
  CHECK(c.admin.token.reveal() == "0123456789abcdef-long-enough");
  write_text(dir / "admin-token", "short\n");
  CHECK_THROWS_WITH_AS(load(), doctest::Contains("the admin token is shorter than 16 characters"),
                       ConfigError);
}
