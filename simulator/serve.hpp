// `ato-sim serve`: binds the listeners, writes the certificate, the service key and the ready
// file, and serves until SIGINT/SIGTERM.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "simulator/ato/landscape_shares.hpp"

namespace ato::sim {

// Where the simulator listens and how.
struct ServerOptions {
  std::string listen = "127.0.0.1";
  std::uint16_t alm_port = 0;
  std::uint16_t ato_port = 0;
  bool plain = false;
  std::optional<std::filesystem::path> tls_cert, tls_key;
  int threads = 2;
};

// The fake XSUAA's client and tokens.
struct XsuaaOptions {
  // The written service key is an X.509 one; its certurl is a listener of the fake XSUAA that
  // requires that key's client certificate (mutual TLS) and issues tokens there.
  bool x509 = false;
  std::chrono::milliseconds token_ttl = std::chrono::hours(12);
  std::string client_id = "sb-ato-sim!b123456|sapcloudalm!b456789";
  std::optional<std::string> client_secret;  // default: a fresh random one
  std::string scopes = "manage,display,features.read,features.write";
  // The key the Features API's sandbox (/SAPCALM/calm-features/v1) takes in its APIKey header.
  std::optional<std::string> sandbox_api_key;  // default: a fresh random one
};

// The fake Cloud ALM's journal of accepted events.
struct JournalOptions {
  std::optional<std::filesystem::path> path;
  std::size_t memory = 1'000'000;  // newest accepted events /sim/journal serves; 0: all
};

// The fake ATO's tenants: one per SID, each with its communication user.
struct AtoTenantOptions {
  std::string sids = "S4D,S4T,S4P";  // development, test, production
  // Each tenant's communication user is this name with the tenant's SID and client appended.
  std::string user = "CALM_COMM_USER";
  std::optional<std::string> password;  // default: a fresh random one per tenant
  // --activate TENANT=WHEN: +DURATION after the source's start, an ISO-8601 time, or "later" (only by
  // POST /sim/ato/tenants/TENANT/activate). Tenants not named are active from the start.
  std::vector<std::string> activations;
};

// How the fake ATO's landscape generates transports (unless it replays a recording).
struct GeneratorOptions {
  double rate = 2;  // transports started per landscape minute
  std::optional<std::int64_t> count;
  double time_scale = 60;  // landscape seconds per real second
  std::string imports =
      "auto";  // auto: the landscape imports by itself; on-deploy: only a feature's deploy does
  LandscapeShares shares;
  std::optional<EpochMillis> start_time;  // landscape clock at start (default: now)
  std::optional<std::pair<EpochMillis, EpochMillis>> upgrade_window;  // landscape time: no export/import
  // Collections' automatic imports: every day into test, every week into production (0: by hand).
  EpochMillis collection_test_import_every = 24 * 3'600'000,
              collection_production_import_every = 7 * 24 * 3'600'000;
};

// A recording the fake ATO serves instead of generating.
struct RecordingOptions {
  std::optional<std::filesystem::path> file;
  double speed = 1;  // 0 = as fast as possible
  bool abort_on_bad_line = false;
};

struct ServeOptions {
  ServerOptions server;
  std::optional<std::filesystem::path> ready_file;
  std::optional<std::filesystem::path> state_dir;  // default: the ready file's directory, else "."
  std::uint64_t seed = 1;
  std::string faults;
  XsuaaOptions xsuaa;
  JournalOptions journal_of_events;
  int max_package_size = 1000;
  std::int64_t odata_page_size = 1000;  // the most entities one Features API answer carries
  bool lms_check = true;                // refuse events of systems not registered in Landscape Management
  std::string log_level = "info";
  std::string only;  // "", "ato" or "alm": run one half alone
  AtoTenantOptions tenants;
  GeneratorOptions generate;
  RecordingOptions recording;
};

// Returns the process exit code.
int serve(const ServeOptions& options);

}  // namespace ato::sim
