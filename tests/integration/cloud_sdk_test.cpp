// SAP Cloud SDK as the judge of the fake Cloud ALM (issue 32): its OData client generator reads the
// Features API's $metadata as served, and the generated client, given only the service root and a
// destination made by the SDK's own client-credentials flow from the service key, runs list, filter,
// count, get by key, create, update, expand, assign, external references and deploy
// (tests/cloud-sdk/check.js; scripts/test installs the SDK, pinned, into the build folder). The
// transports it works on reach Cloud ALM the way they do in use: through the bridge.
#include <doctest/doctest.h>

#include <filesystem>

#include "tests/support/bridge_process.hpp"
#include "tests/support/sim_queries.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

namespace {

ProcessResult run_sdk_check(SimProcess& sim, const std::string& work_dir, const std::string& mode = "") {
  const std::string sdk = ATO_CLOUD_SDK_DIR;
  REQUIRE_MESSAGE(std::filesystem::exists(sdk + "/node_modules/@sap-cloud-sdk/generator"),
                  "SAP Cloud SDK is not installed in " << sdk << ": run scripts/test (it runs npm ci there)");
  std::vector<std::string> command = {"/usr/bin/env",
                                      "node",
                                      std::string(ATO_SOURCE_DIR) + "/tests/cloud-sdk/check.js",
                                      sim.service_key_file().string(),
                                      sim.url() + "/api/calm-features/v1",
                                      work_dir};
  if (!mode.empty()) command.push_back(mode);
  // The generated client is written below the SDK's folder, so that its imports resolve there.
  return run_process(command,
                     {.env = {{"NODE_PATH", sdk + "/node_modules"}, {"NODE_EXTRA_CA_CERTS", sim.ca_file()}},
                      .timeout = std::chrono::seconds(180)});
}

}  // namespace

TEST_CASE("SAP Cloud SDK's generated client runs every Features API operation against ato-sim") {
  SimProcess sim(
      {"--imports", "on-deploy", "--generate-count", "4", "--time-scale", "200000", "--seed", "32"}, "sim",
      true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  const auto work = std::string(ATO_CLOUD_SDK_DIR) + "/generated-" + std::to_string(::getpid());
  const auto checked = run_sdk_check(sim, work);
  std::filesystem::remove_all(work);
  INFO(checked.out);
  INFO(checked.err);
  CHECK(checked.exit_code == 0);
  for (const auto* step :
       {"ok token", "ok generate", "ok list", "ok filter", "ok count", "ok create", "ok get by key",
        "ok update", "ok assign", "ok external reference", "ok deploy", "ok create transport"})
    CHECK_MESSAGE(checked.out.find(std::string(step) + "\n") != std::string::npos, step);
  // The SDK fetches a CSRF token before each write and warns when the service hands out none.
  CHECK(checked.out.find("CSRF") == std::string::npos);
  CHECK(checked.err.find("CSRF") == std::string::npos);
}

TEST_CASE("SAP Cloud SDK's destination flow gets a token with an X.509 service key (mutual TLS)") {
  SimProcess sim({"--x509", "--only", "alm"}, "sim");
  const auto work = std::string(ATO_CLOUD_SDK_DIR) + "/generated-x509-" + std::to_string(::getpid());
  const auto checked = run_sdk_check(sim, work, "token-only");
  std::filesystem::remove_all(work);
  INFO(checked.out);
  INFO(checked.err);
  CHECK(checked.exit_code == 0);
  CHECK(checked.out.find("ok token\n") != std::string::npos);
  CHECK(checked.out.find("ok list\n") != std::string::npos);
}
