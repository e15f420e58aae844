// Cloud ALM as SAP's own libraries see it (issue 22), end to end: an X.509 service key drives the
// real ato-bridge over mutual TLS to the fake XSUAA's certurl, and a certificate XSUAA did not issue
// gets no token.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <csignal>

#include "core/wire.hpp"
#include "tests/support/bridge_process.hpp"
#include "tests/support/sim_queries.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

TEST_CASE("an X.509 service key drives the bridge end to end over mutual TLS") {
  SimProcess sim({"--x509", "--generate-count", "10", "--time-scale", "200000", "--seed", "22"}, "sim", true);
  const auto key = read_text(sim.service_key_file());
  simdjson::dom::parser parser;
  const auto uaa = parser.parse(key).value()["uaa"];
  CHECK(std::string_view(uaa["credential-type"]) == "x509");
  CHECK(uaa["clientsecret"].error() == simdjson::NO_SUCH_FIELD);
  BridgeProcess bridge(sim);
  const auto config = bridge.cli({"config", "check"});
  CHECK(config.out.find("X.509 certificate and key (mutual TLS") != std::string::npos);
  CHECK(config.out.find("uaa.certurl + /oauth/token") != std::string::npos);
  CHECK(config.out.find("BEGIN") == std::string::npos);  // the key's PEM is nowhere in the output
  bridge.start();  // registers the landscape's systems first (a token of its own)
  const auto checked = bridge.cli({"check"});
  CHECK_MESSAGE(checked.exit_code == 0, checked.out);
  CHECK(checked.out.find("OK    Cloud ALM token from " + sim.url()) == std::string::npos);  // the certurl, not uaa.url
  REQUIRE_MESSAGE(eventually(
                      [&] {
                        return generator_done(sim) &&
                               sim_stats(sim).total.events_accepted ==
                                   static_cast<std::int64_t>(landscape_history(sim).size());
                      },
                      60s),
                  bridge.log());
  CHECK(sim_stats(sim).tokens_issued >= 1);
  CHECK(bridge.log().find("PRIVATE KEY") == std::string::npos);
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);

  // The same key with a certificate XSUAA did not issue (another sample's): the handshake refuses it.
  TempDir dir;
  const auto other =
      run_process({ATO_SIM_BIN, "sample-key", "--x509", "--out", (dir / "other.json").string()});
  REQUIRE(other.exit_code == 0);
  const auto forged = run_process(
      {"/usr/bin/python3", "-c",
       "import json, sys\n"
       "key, other = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))\n"
       "key['uaa']['certificate'], key['uaa']['key'] = other['uaa']['certificate'], other['uaa']['key']\n"
       "json.dump(key, open(sys.argv[3], 'w'))\n",
       sim.service_key_file().string(), (dir / "other.json").string(), (dir / "forged.json").string()});
  REQUIRE_MESSAGE(forged.exit_code == 0, forged.err);
  BridgeProcess impostor(sim, {.service_key_file = (dir / "forged.json").string(), .register_first = false},
                         "impostor");
  const auto refused = impostor.cli({"check"});
  CHECK(refused.exit_code == 1);
  CHECK_MESSAGE(refused.out.find("FAIL  Cloud ALM token") != std::string::npos, refused.out);
}
