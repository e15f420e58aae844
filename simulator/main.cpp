// ato-sim: the command line of the simulator. Only wiring lives here.
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/event.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "simulator/sample_key.hpp"

namespace {

int write_sample_key(const ato::sim::SampleKeyOptions& options, const std::string& out, bool force) {
  try {
    const auto json = ato::to_json(ato::sim::make_sample_key(options));
    ato::write_file_atomically(out, json, 0600, force ? ato::Overwrite::Yes : ato::Overwrite::No);
    std::cerr << "wrote " << out << " (mode 0600): a Cloud ALM service key in SAP's shape for tenant "
              << options.tenant << " (" << options.region << "), with a fresh random client secret\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "ato-sim sample-key: error: " << ato::redact(e.what()) << "\n";
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "ato-sim: a stand-in for SAP S/4HANA Cloud's Adaptation Transport Organizer and SAP Cloud ALM,\n"
      "so ato-bridge can be tried, tested and load-tested without real tenants.",
      "ato-sim"};
  app.set_version_flag("--version", ATO_VERSION);
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (*sample_key) return write_sample_key(key_options, key_out, force);
  return 2;
}
