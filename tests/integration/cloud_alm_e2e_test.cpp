// Cloud ALM as SAP's own libraries see it (issue 22), end to end: an X.509 service key drives the
// real ato-bridge over mutual TLS to the fake XSUAA's certurl, and a certificate XSUAA did not issue
// gets no token; a feature's deploy in the Features API imports its transports in the fake ATO, and
// the import comes back through the bridge: the statuses the API shows follow.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <csignal>
#include <map>

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
  CHECK(checked.out.find("OK    Cloud ALM token from " + sim.url()) ==
        std::string::npos);  // the certurl, not uaa.url
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
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

namespace {

struct FeaturesClient {
  SimProcess& sim;
  std::string auth = "Authorization: Bearer " + sim.token();
  static constexpr const char* kApi = "/api/calm-features/v1";

  HttpResult post(const std::string& path, const std::string& body) {
    return sim.call({.method = "POST", .path = kApi + path, .body = body, .headers = {auth}});
  }
  HttpResult patch(const std::string& path, const std::string& body) {
    return sim.call({.method = "PATCH", .path = kApi + path, .body = body, .headers = {auth}});
  }
  std::string get_field(const std::string& path, const char* field) {
    const auto r = sim.call({.path = kApi + path, .headers = {auth}});
    simdjson::dom::parser parser;
    std::string_view value;
    return parser.parse(r.body)[field].get_string().get(value) ? std::string() : std::string(value);
  }
  // The feature's transports and their statuses, as the Features API shows them.
  std::map<std::string, std::string> statuses(const std::string& feature) {
    const auto r = sim.call({.path = std::string(kApi) + "/Transports?$filter=featureUuid%20eq%20" + feature +
                                     "&$select=transportRequest,status",
                             .headers = {auth}});
    std::map<std::string, std::string> out;
    simdjson::dom::parser parser;
    for (auto t : simdjson::dom::array(parser.parse(r.body).value()["value"]))
      out[std::string(std::string_view(t["transportRequest"]))] = std::string(std::string_view(t["status"]));
    return out;
  }
};

}  // namespace

// The flow people test with Cloud ALM: create a feature, assign released transports, deploy to
// test, approve, deploy to production. The fake ATO imports on deploy only (--imports on-deploy);
// its import events come back through the bridge, so what the Features API shows follows.
TEST_CASE(
    "a feature's deploy imports its transports, and the bridge brings back Deployed in test, then "
    "production") {
  SimProcess sim(
      {"--imports", "on-deploy", "--generate-count", "4", "--time-scale", "200000", "--seed", "23"}, "sim",
      true);
  BridgeProcess bridge(sim);
  bridge.start();
  const auto delivered = [&] { return all_delivered(sim); };
  REQUIRE_MESSAGE(eventually(delivered, 60s), bridge.log());
  std::vector<std::string> released;
  for (const auto& e : landscape_history(sim)) released.push_back(e.transport_id);  // exports only so far
  REQUIRE(released.size() == 4);

  FeaturesClient api{sim};
  auto r = api.post("/Features", R"({"title":"Refund configuration","priorityCode":20})");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  simdjson::dom::parser parser;
  const std::string feature(std::string_view(parser.parse(r.body).value()["uuid"]));
  for (int i = 0; i < 2; ++i) {
    r = api.post("/TransportReferences",
                 R"({"featureUuid":")" + feature + R"(","transportRequest":")" + released[i] + R"("})");
    REQUIRE_MESSAGE(r.status == 201, r.body);
  }
  CHECK(api.statuses(feature) ==
        std::map<std::string, std::string>{{released[0], "Released"}, {released[1], "Released"}});
  // Production before the feature is ready for it: refused.
  r = api.post("/Features(" + feature + ")/deploy", R"({"targetSystem":"S4P~100"})");
  CHECK(r.status == 400);
  CHECK(r.body.find("NOT_READY_FOR_PRODUCTION") != std::string::npos);
  r = api.post("/Features(" + feature + ")/deploy", R"({"targetSystem":"S4T~100"})");
  REQUIRE_MESSAGE(r.status == 202, r.body);
  CHECK(api.get_field("/Features(" + feature + ")", "statusCode") == "IN_TESTING");
  const std::map<std::string, std::string> in_test = {{released[0], "Deployed in S4T~100"},
                                                      {released[1], "Deployed in S4T~100"}};
  REQUIRE_MESSAGE(eventually([&] { return api.statuses(feature) == in_test; }, 30s), bridge.log());
  // Approved: ready for production, then deployed there.
  r = api.patch("/Features(" + feature + ")", R"({"statusCode":"READY_FOR_PRODUCTION"})");
  REQUIRE_MESSAGE(r.status == 200, r.body);
  r = api.post("/Features(" + feature + ")/deploy", R"({"targetSystem":"S4P~100"})");
  REQUIRE_MESSAGE(r.status == 202, r.body);
  const std::map<std::string, std::string> in_production = {{released[0], "Deployed in S4P~100"},
                                                            {released[1], "Deployed in S4P~100"}};
  REQUIRE_MESSAGE(eventually([&] { return api.statuses(feature) == in_production; }, 30s), bridge.log());
  CHECK(api.get_field("/Features(" + feature + ")", "statusCode") == "DEPLOYED");
  // What the fake ATO recorded: queue, run and import in each tenant, for these two transports only;
  // all of it reached Cloud ALM once, in each tenant's order.
  std::map<std::string, int> imports;
  for (const auto& e : landscape_history(sim))
    if (e.service == Service::Import) ++imports[e.source.key() + " " + e.transport_id];
  CHECK(imports == std::map<std::string, int>{{"S4P~100 " + released[0], 1},
                                              {"S4P~100 " + released[1], 1},
                                              {"S4T~100 " + released[0], 1},
                                              {"S4T~100 " + released[1], 1}});
  REQUIRE(eventually(delivered, 30s));
  CHECK(sim_stats(sim).total.order_violations == 0);
  CHECK(api.statuses(feature).size() == 2);
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
}

// SAP (domain.md): for ATO, Cloud ALM can create transports (through the tenant's inbound "create
// transports" service of a newer SAP_COM_0690), assign and deploy them, but not release them; the
// Features app shows such a transport Modifiable until it is released.
TEST_CASE("a transport Cloud ALM creates is Modifiable until a developer releases it, then deploys") {
  SimProcess sim(
      {"--imports", "on-deploy", "--generate-count", "1", "--time-scale", "200000", "--seed", "25"}, "sim",
      true);
  BridgeProcess bridge(sim);
  bridge.start();
  const auto delivered = [&] { return all_delivered(sim); };
  REQUIRE_MESSAGE(eventually(delivered, 30s), bridge.log());
  FeaturesClient api{sim};
  auto r = api.post("/Features", R"({"title":"Created from Cloud ALM"})");
  REQUIRE(r.status == 201);
  simdjson::dom::parser parser;
  const std::string feature(std::string_view(parser.parse(r.body).value()["uuid"]));

  // Only a development tenant creates transports; an unknown system and a bad body are named.
  r = api.post("/Features(" + feature + ")/createTransport", R"({"sourceSystem":"S4T~100"})");
  CHECK(r.status == 400);
  CHECK_MESSAGE(r.body.find("S4T~100 is the landscape's test system") != std::string::npos, r.body);
  r = api.post("/Features(" + feature + ")/createTransport", R"({"sourceSystem":"XYZ~001"})");
  CHECK(r.status == 400);
  r = api.post("/Features(" + feature + ")/createTransport", R"({"sourceSystem":"S4D~080","release":true})");
  CHECK(r.status == 400);
  CHECK(r.body.find("release") != std::string::npos);

  r = api.post("/Features(" + feature + ")/createTransport",
               R"({"sourceSystem":"S4D~080","description":"Refund fields"})");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  const std::string transport(std::string_view(parser.parse(r.body).value()["transportRequest"]));
  CHECK(transport == "S4DK999900");
  CHECK(std::string_view(parser.parse(r.body).value()["status"]) == "Modifiable");
  // Listed at once, assigned to the feature, Modifiable; no deploy before its release.
  CHECK(api.statuses(feature) == std::map<std::string, std::string>{{transport, "Modifiable"}});
  r = api.post("/Features(" + feature + ")/deploy", R"({"targetSystem":"S4T~100"})");
  CHECK(r.status == 409);
  CHECK_MESSAGE(r.body.find("is Modifiable: release it in S4D~080 first") != std::string::npos, r.body);
  // Nothing happened in the tenant yet: the feed has no event of it.
  for (const auto& e : landscape_history(sim)) CHECK(e.transport_id != transport);

  // The developer releases it in the tenant: its export reaches Cloud ALM through the bridge.
  CHECK(
      sim.call({.method = "POST", .path = "/sim/ato/transports/S4DK999999/release", .to_ato = true}).status ==
      404);
  r = sim.call({.method = "POST", .path = "/sim/ato/transports/" + transport + "/release", .to_ato = true});
  REQUIRE_MESSAGE(r.status == 204, r.body);
  CHECK(sim.call({.method = "POST", .path = "/sim/ato/transports/" + transport + "/release", .to_ato = true})
            .status == 409);  // released once
  REQUIRE_MESSAGE(eventually([&] { return api.statuses(feature)[transport] == "Released"; }, 30s),
                  bridge.log());
  r = api.post("/Features(" + feature + ")/deploy", R"({"targetSystem":"S4T~100"})");
  REQUIRE_MESSAGE(r.status == 202, r.body);
  REQUIRE_MESSAGE(eventually([&] { return api.statuses(feature)[transport] == "Deployed in S4T~100"; }, 30s),
                  bridge.log());
  std::vector<std::string> tenant_steps;
  for (const auto& e : landscape_history(sim))
    if (e.transport_id == transport)
      tenant_steps.push_back(e.source.key() + " " + std::string(to_string(e.service)));
  CHECK(tenant_steps == std::vector<std::string>{"S4D~080 EXPORT", "S4T~100 STATUS_CHANGE",
                                                 "S4T~100 STATUS_CHANGE", "S4T~100 IMPORT"});
  REQUIRE(eventually(delivered, 30s));
  CHECK(sim_stats(sim).total.order_violations == 0);
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
}

// SAP: no export or import is possible during an upgrade. A deploy from Cloud ALM while the landscape
// is upgraded fails with SAP's message, and nothing is imported.
TEST_CASE("a feature's deploy during an upgrade of the landscape is refused with SAP's message") {
  SimProcess sim({"--imports", "on-deploy", "--generate-count", "2", "--time-scale", "200000", "--seed", "24",
                  "--start-time", "2026-11-20T08:00:00Z", "--upgrade-window", "2026-11-20T09:00:00Z,60d"},
                 "sim", true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 20s), bridge.log());
  const auto history = landscape_history(sim);
  REQUIRE(history.size() == 2);  // the two exports, before the upgrade began
  FeaturesClient api{sim};
  auto r = api.post("/Features", R"({"title":"During the upgrade"})");
  REQUIRE(r.status == 201);
  simdjson::dom::parser parser;
  const std::string feature(std::string_view(parser.parse(r.body).value()["uuid"]));
  r = api.post("/TransportReferences", R"({"featureUuid":")" + feature + R"(","transportRequest":")" +
                                           history[0].transport_id + "\"}");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  r = api.post("/Features(" + feature + ")/deploy", R"({"targetSystem":"S4T~100"})");
  CHECK(r.status == 502);
  CHECK_MESSAGE(r.body.find("Development function currently not available due to upgrade preparation") !=
                    std::string::npos,
                r.body);
  CHECK(landscape_history(sim).size() == 2);  // nothing imported
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
}
