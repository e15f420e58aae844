// ato-sim: the command line of the simulator. Only wiring lives here.
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/cli_formatter.hpp"
#include "core/event.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/time.hpp"
#include "simulator/sample_key.hpp"
#include "simulator/serve.hpp"

namespace {

int write_sample_key(const ato::sim::SampleKeyOptions& options, const std::string& out, bool force) {
  try {
    const auto json = ato::to_json(ato::sim::make_sample_key(options));
    ato::write_file_atomically(out, json, 0600, force ? ato::Overwrite::Yes : ato::Overwrite::No);
    std::cerr << "wrote " << out << " (mode 0600): a Cloud ALM service key in SAP's shape for tenant "
              << options.tenant << " (" << options.region << "), with "
              << (options.x509 ? "a fresh client certificate and key (credential-type x509)"
                               : "a fresh random client secret")
              << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ato-sim sample-key: error: " << ato::redact(e.what()) << "\n";
    return 1;
  }
}

// A share of something, 0 to 1, with its default shown in --help.
void add_share(CLI::App* command, const std::string& name, double& share, const std::string& help) {
  command->add_option(name, share, help)->check(CLI::Range(0.0, 1.0))->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ato-sim: a stand-in for SAP S/4HANA Cloud's Adaptation Transport Organizer and SAP Cloud ALM,\n"
      "so ato-bridge can be tried, tested and load-tested without real tenants.",
      "ato-sim"};
  ato::wrap_help_to_terminal(app);  // before any subcommand: they inherit it
  app.set_version_flag("--version", std::string("ato-sim ") + ATO_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 failure, 2 wrong command line.");

  ato::sim::SampleKeyOptions key_options;
  std::string key_out;
  bool force = false;
  auto* sample_key = app.add_subcommand(
      "sample-key",
      "Write a Cloud ALM API service key in SAP's shape (endpoints.Api, uaa.url, uaa.clientid,\n"
      "uaa.clientsecret, ...) with a fresh random secret, to try `ato-bridge config` without a tenant.\n"
      "The file is created with mode 0600: it holds a secret.");
  sample_key->add_option("--out", key_out, "Where to write the key")->required();
  sample_key->add_option("--tenant", key_options.tenant, "Tenant (subdomain) name in the URLs")
      ->capture_default_str();
  sample_key->add_option("--region", key_options.region, "Region in the URLs")->capture_default_str();
  sample_key->add_flag("--force", force, "Overwrite --out if it exists");
  sample_key->add_flag(
      "--x509", key_options.x509,
      "An X.509 key (credential-type x509: certificate, key, certurl; no client secret), as\n"
      "Cloud ALM hands out for OAuth with mutual TLS");

  ato::sim::ServeOptions serve;
  std::string token_ttl = "12h";
  std::string seed = "1";
  auto* serve_cmd = app.add_subcommand(
      "serve",
      "Run the fake S/4HANA ATO (a 3-system landscape whose transports produce events, or a recording\n"
      "replayed; one OData feed per tenant, as SAP_COM_0690 is set up per tenant, each with its own\n"
      "communication user, Basic auth and sequence numbering) and the fake SAP Cloud ALM: the XSUAA\n"
      "token endpoint (/oauth/token), the deployment-management\n"
      "push API (one path per outbound service, see schema/README.md), the transport view\n"
      "(SAP's Features API, /api/calm-features/v1: features, transports, deploy) and the simulator's\n"
      "/sim/transports, /sim/stats, /sim/journal, /sim/faults,\n"
      "/sim/reset. HTTPS with a certificate made at start-up; a service key in SAP's shape and the CA\n"
      "are written beside the ready file. Stops cleanly on SIGINT/SIGTERM.");
  serve_cmd->add_option("--listen", serve.server.listen, "Address to listen on")->capture_default_str();
  serve_cmd->add_option("--alm-port", serve.server.alm_port, "Port of the fake Cloud ALM (0: any free port)")
      ->capture_default_str();
  serve_cmd->add_option(
      "--ready-file", serve.ready_file,
      "Written once listening (mode 0600): JSON with alm_url, token_url, push_urls, ca_file,\n"
      "service_key_file, sandbox_url, sandbox_api_key, ato_url and tenants (name, role, feed_url,\n"
      "user, password, active)");
  serve_cmd->add_option("--state-dir", serve.state_dir,
                        "Where the CA and service key go (default: the ready file's directory, else .)");
  serve_cmd->add_option("--seed", seed, "Seed of every random choice (faults): same seed, same faults")
      ->capture_default_str();
  serve_cmd->add_option("--faults", serve.faults,
                        "Fault rules, e.g. 'push.*:status=503@20%;token:revoke-every=5s' (README: Faults)");
  serve_cmd->add_flag("--plain", serve.server.plain, "HTTP instead of HTTPS (benchmarks only)");
  serve_cmd->add_flag("--x509", serve.xsuaa.x509,
                      "Write an X.509 service key (credential-type x509) and serve its certurl: a token\n"
                      "endpoint that requires the key's client certificate (mutual TLS)");
  serve_cmd->add_option("--token-ttl", token_ttl, "Lifetime of issued tokens")->capture_default_str();
  serve_cmd->add_option("--client-id", serve.xsuaa.client_id, "OAuth client ID")->capture_default_str();
  serve_cmd->add_option("--client-secret", serve.xsuaa.client_secret,
                        "OAuth client secret (default: random)");
  serve_cmd
      ->add_option("--odata-page-size", serve.odata_page_size,
                   "The most entities one Features API answer carries; more come by @odata.nextLink (lower\n"
                   "it to try a client's paging with a few entities)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  serve_cmd->add_option(
      "--sandbox-api-key", serve.xsuaa.sandbox_api_key,
      "The key of the Features API's read-only sandbox (<alm_url>/SAPCALM/calm-features/v1,\n"
      "header APIKey), as SAP's API Business Hub serves it (default: random, in the ready file)");
  serve_cmd
      ->add_option("--scopes", serve.xsuaa.scopes,
                   "Scopes granted: manage (push), display (read), features.read and features.write (the\n"
                   "public Features API), or full names; comma-separated")
      ->capture_default_str();
  serve_cmd
      ->add_option("--tls-cert", serve.server.tls_cert, "PEM certificate (chain) instead of a generated one")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--tls-key", serve.server.tls_key, "PEM private key for --tls-cert")
      ->check(CLI::ExistingFile);
  serve_cmd->add_option("--journal", serve.journal_of_events.path,
                        "SQLite file keeping accepted events, so a restarted simulator still deduplicates");
  serve_cmd
      ->add_option("--journal-memory", serve.journal_of_events.memory,
                   "Newest accepted events kept in memory for /sim/journal (~600 bytes each); older ones "
                   "answer 410. 0 keeps all")
      ->capture_default_str();
  serve_cmd->add_option("--max-package-size", serve.max_package_size, "Larger packages get 413")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  serve_cmd->add_option("--threads", serve.server.threads, "Threads serving requests")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve_cmd->add_option("--log-level", serve.log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  serve_cmd->add_option("--only", serve.only, "Run one half alone: ato (the feed) or alm (Cloud ALM)")
      ->check(CLI::IsMember({"ato", "alm"}));
  serve_cmd->add_option("--ato-port", serve.server.ato_port, "Port of the fake ATO feed (0: any free port)")
      ->capture_default_str();
  serve_cmd->add_flag(
      "--no-lms-check{false}", serve.lms_check,
      "Accept events of systems not registered in Landscape Management (on by default, a push for\n"
      "an unregistered system is rejected per event with MSG_SLIS_NOT_FOUND_IN_LMS)");
  serve_cmd
      ->add_option("--sids", serve.tenants.sids, "System IDs of the development, test and production systems")
      ->capture_default_str();
  serve_cmd->add_option("--generate-rate", serve.generate.rate, "Transports started per landscape minute")
      ->check(CLI::Range(0.001, 100000.0))
      ->capture_default_str();
  serve_cmd
      ->add_option("--generate-count", serve.generate.count,
                   "Exactly this many transports run their whole lifecycle, then the generator stops")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{10'000'000}));
  serve_cmd
      ->add_option("--time-scale", serve.generate.time_scale,
                   "Landscape seconds per real second (1440: a day a minute)")
      ->check(CLI::Range(0.001, 1e9))
      ->capture_default_str();
  serve_cmd
      ->add_option("--imports", serve.generate.imports,
                   "auto: transports are imported into test and production by the landscape itself;\n"
                   "on-deploy: a transport's life stops at its export, and a feature's deploy in the fake\n"
                   "Cloud ALM imports it (POST /api/calm-features/v1/Features(uuid)/deploy)")
      ->check(CLI::IsMember({"auto", "on-deploy"}))
      ->capture_default_str();
  add_share(serve_cmd, "--import-failure-rate", serve.generate.shares.import_failure,
            "Share of test imports that fail (they are fixed and re-imported)");
  add_share(serve_cmd, "--import-warning-rate", serve.generate.shares.import_warning,
            "Share of imports ending with warnings");
  add_share(serve_cmd, "--approval-rate", serve.generate.shares.approval,
            "Share of transports that need quality approval");
  add_share(serve_cmd, "--rejection-rate", serve.generate.shares.rejection,
            "Share of approvals rejected (never forwarded)");
  std::string start_time;
  serve_cmd->add_option(
      "--start-time", start_time,
      "Landscape clock at start, ISO-8601 UTC (default: now). Same seed + start time: same history");
  add_share(serve_cmd, "--forecast-rate", serve.generate.shares.forecast,
            "Share of manual test imports preceded by a forecast import (importType FORECAST)");
  std::string collection_imports = "1d,7d";
  serve_cmd
      ->add_option(
          "--collection-imports", collection_imports,
          "TEST,PRODUCTION: how often collections are imported automatically (SAP: daily into test,\n"
          "weekly into production); 0,0: by hand like other transports")
      ->capture_default_str();
  std::string upgrade_window;
  serve_cmd->add_option("--upgrade-window", upgrade_window,
                        "START,DURATION in landscape time, e.g. 2026-11-22T22:00:00Z,6h: an upgrade, during\n"
                        "which (as SAP says) no export or import happens; what would, waits for its end");
  serve_cmd
      ->add_option("--ato-user", serve.tenants.user,
                   "Communication users of the tenants' feeds (Basic auth): this name + _SIDclient")
      ->capture_default_str();
  serve_cmd->add_option("--ato-password", serve.tenants.password,
                        "Their password (default: random per tenant, in the ready file)");
  serve_cmd->add_option(
      "--activate", serve.tenants.activations,
      "TENANT=WHEN: the tenant's arrangement is activated late; what happens before never reaches Cloud\n"
      "ALM. WHEN: +DURATION after the landscape's start (S4P~100=+2h), an ISO-8601 UTC time, or later\n"
      "(only by POST /sim/ato/tenants/TENANT/activate). Repeatable; other tenants are active from the start");
  serve_cmd
      ->add_option("--replay", serve.recording.file,
                   "Serve this NDJSON recording as the feed instead of the generator")
      ->check(CLI::ExistingFile);
  std::string speed = "1";
  serve_cmd
      ->add_option("--speed", speed,
                   "Replay speed: 1 keeps the original spacing, 10 is ten times faster, max")
      ->capture_default_str();
  std::string on_bad_line = "skip";
  serve_cmd
      ->add_option("--on-bad-line", on_bad_line,
                   "A malformed recording line is reported and skipped, or aborts")
      ->check(CLI::IsMember({"skip", "abort"}))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*sample_key) return write_sample_key(key_options, key_out, force);
  if (*serve_cmd) {
    const auto ttl = ato::parse_duration(token_ttl);
    if (!ttl || ttl->count() < 1000) {
      std::cerr << "ato-sim serve: --token-ttl: expected a duration of at least 1s, like 12h or 30s\n";
      return 2;
    }
    serve.xsuaa.token_ttl = *ttl;
    try {
      serve.seed = std::stoull(seed);
    } catch (const std::exception&) {
      std::cerr << "ato-sim serve: --seed: expected a non-negative integer\n";
      return 2;
    }
    if (serve.xsuaa.x509 && serve.server.plain) {
      std::cerr << "ato-sim serve: --x509 needs TLS (mutual TLS): leave out --plain\n";
      return 2;
    }
    if (serve.server.tls_cert.has_value() != serve.server.tls_key.has_value()) {
      std::cerr << "ato-sim serve: --tls-cert and --tls-key go together\n";
      return 2;
    }
    if (!start_time.empty()) {
      serve.generate.start_time = ato::parse_iso8601_utc(start_time);
      if (!serve.generate.start_time) {
        std::cerr << "ato-sim serve: --start-time: expected ISO-8601 UTC like 2026-11-22T08:00:00Z\n";
        return 2;
      }
    }
    {
      const auto comma = collection_imports.find(',');
      const auto every = [&](std::string_view text) -> std::optional<ato::EpochMillis> {
        if (text == "0") return 0;
        const auto d = ato::parse_duration(text);
        return d && d->count() >= 60'000 ? std::optional<ato::EpochMillis>(d->count()) : std::nullopt;
      };
      const auto test = every(std::string_view(collection_imports).substr(0, comma));
      const auto production = comma == std::string::npos
                                  ? std::nullopt
                                  : every(std::string_view(collection_imports).substr(comma + 1));
      if (!test || !production) {
        std::cerr << "ato-sim serve: --collection-imports: expected TEST,PRODUCTION durations of at least 1m "
                     "(or 0), like 1d,7d\n";
        return 2;
      }
      serve.generate.collection_test_import_every = *test;
      serve.generate.collection_production_import_every = *production;
    }
    if (!upgrade_window.empty()) {
      const auto comma = upgrade_window.find(',');
      const auto start = ato::parse_iso8601_utc(std::string_view(upgrade_window).substr(0, comma));
      const auto length = comma == std::string::npos
                              ? std::nullopt
                              : ato::parse_duration(std::string_view(upgrade_window).substr(comma + 1));
      if (!start || !length || length->count() <= 0) {
        std::cerr
            << "ato-sim serve: --upgrade-window: expected START,DURATION like 2026-11-22T22:00:00Z,6h\n";
        return 2;
      }
      serve.generate.upgrade_window = std::pair(*start, *start + length->count());
    }
    if (speed == "max") {
      serve.recording.speed = 0;
    } else {
      try {
        serve.recording.speed = std::stod(speed);
      } catch (const std::exception&) {
        serve.recording.speed = -1;
      }
      if (!(serve.recording.speed > 0)) {
        std::cerr << "ato-sim serve: --speed: expected a positive number or max\n";
        return 2;
      }
    }
    serve.recording.abort_on_bad_line = on_bad_line == "abort";
    if (!ato::is_valid_log_level(serve.log_level)) {
      std::cerr << "ato-sim serve: --log-level: expected one of trace, debug, info, warn, error, off\n";
      return 2;
    }
    return ato::sim::serve(serve);
  }
  return 2;
}
