// Landscape registration end to end: the fake Cloud ALM refuses events of systems its Landscape
// Management does not know (MSG_SLIS_NOT_FOUND_IN_LMS); `ato-bridge register` / `unregister`; the
// bridge pauses pushing for an unregistered system without losing or dead-lettering its events and
// resumes by itself once the system is registered.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <unistd.h>

#include <csignal>
#include <map>
#include <set>

#include "core/lms.hpp"
#include "core/wire.hpp"
#include "tests/support/bridge_process.hpp"
#include "tests/support/sim_queries.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> landscape(int transports) {
  return {"--generate-count", std::to_string(transports), "--time-scale", "3000000", "--seed", "9"};
}

std::int64_t produced(SimProcess& sim) {
  const auto body = sim.call({.path = "/sim/ato/history.ndjson", .to_ato = true}).body;
  return static_cast<std::int64_t>(std::count(body.begin(), body.end(), '\n'));
}

std::string status_json(BridgeProcess& bridge) {
  return bridge.cli({"status", "--json"}).out;
}

std::int64_t dead_letters(BridgeProcess& bridge) {
  simdjson::dom::parser parser;
  const auto text = status_json(bridge);
  return int64_t(parser.parse(text).value()["outbox"]["dead_letters"]);
}

HttpResult lms(SimProcess& sim, const std::string& method, std::string_view path, const std::string& body,
               const std::string& token, const std::string& schema) {
  return sim.call({.method = method,
                   .path = std::string(path),
                   .body = body,
                   .headers = {"Authorization: Bearer " + token, "Content-Type: application/json"},
                   .schema = schema});
}

}  // namespace

TEST_CASE("Landscape Management: register, register again, list, offboard; every answer validates") {
  SimProcess sim(landscape(1), "lms", true);
  const auto token = sim.token();
  const auto first =
      lms(sim, "POST", kLmsRegisterPath, R"({"system":"S4D~080","role":"development","suffix":"QA"})", token,
          "lms-registration");
  REQUIRE(first.status == 200);
  const auto r1 = parse_lms_registration(first.body);
  CHECK(r1.service_id == "ATO_S4D_080_QA");
  CHECK(r1.changed);
  CHECK(r1.message.find("registration triggered") != std::string::npos);
  const auto again = parse_lms_registration(lms(sim, "POST", kLmsRegisterPath,
                                                R"({"system":"S4D~080","role":"development","suffix":"QA"})",
                                                token, "lms-registration")
                                                .body);
  CHECK(again.service_id == "ATO_S4D_080_QA");
  CHECK_FALSE(again.changed);  // idempotent
  CHECK(
      lms(sim, "POST", kLmsRegisterPath, R"({"system":"S4D~080","role":"development"})", token, "").status ==
      409);  // another suffix: offboard first
  CHECK(lms(sim, "POST", kLmsRegisterPath, R"({"system":"S4D-080","role":"test"})", token, "odata-error")
            .status == 400);
  CHECK(sim.call({.method = "POST",
                  .path = std::string(kLmsRegisterPath),
                  .body = R"({"system":"S4T~100","role":"test"})"})
            .status == 401);  // no token
  const auto listed = lms(sim, "GET", kLmsSystemsPath, "", token, "lms-systems");
  REQUIRE(listed.status == 200);
  CHECK(parse_lms_systems(listed.body).size() == 1);
  const auto off = parse_lms_registration(
      lms(sim, "POST", kLmsOffboardPath, R"({"system":"S4D~080"})", token, "lms-registration").body);
  CHECK(off.changed);
  CHECK_FALSE(off.registered);
  CHECK_FALSE(
      parse_lms_registration(
          lms(sim, "POST", kLmsOffboardPath, R"({"system":"S4D~080"})", token, "lms-registration").body)
          .changed);
  CHECK(parse_lms_systems(lms(sim, "GET", kLmsSystemsPath, "", token, "lms-systems").body).empty());
  std::string systems_path = sim.feed_path();
  systems_path.replace(systems_path.rfind("Events"), 6, "Systems");
  const auto systems = sim.call(
      {.path = systems_path, .basic_user = sim.ato_credentials(), .schema = "ato-systems", .to_ato = true});
  CHECK(parse_ato_systems(systems.body).size() == 4);
  CHECK(sim.validate_kept_documents() == "");
}

TEST_CASE(
    "register -> pushes accepted; an unregistered system waits, then register delivers it, unregister pauses "
    "again") {
  SimProcess sim(landscape(12), "lms", true);
  BridgeProcess bridge(sim, {.register_first = false});

  // Only the development system's clients: test and production stay unknown to Cloud ALM.
  auto reg = bridge.cli({"register", "--system", "S4D~080", "--system", "S4D~100"});
  REQUIRE_MESSAGE(reg.exit_code == 0, reg.out << reg.err);
  CHECK(reg.out.find("ATO_S4D_080") != std::string::npos);
  CHECK(reg.out.find("registered") != std::string::npos);
  bridge.start();
  REQUIRE(eventually([&] { return generator_done(sim); }, 20s));
  REQUIRE_MESSAGE(
      eventually([&] { return status_json(bridge).find("\"S4T~100\":") != std::string::npos; }, 20s),
      bridge.log());
  // Development's tenants deliver: the pod stays ready, and names the tenants whose systems wait.
  const auto readyz = bridge.admin("/readyz");
  CHECK(readyz.status == 200);
  CHECK(readyz.body.find("\"tenant_problems\":{") != std::string::npos);
  CHECK(readyz.body.find("\"S4T~100\":[\"pushing paused for S4T~100") != std::string::npos);
  CHECK(readyz.body.find("MSG_SLIS_NOT_FOUND_IN_LMS") != std::string::npos);
  CHECK(bridge.admin("/metrics").body.find("ato_bridge_tenant_healthy{tenant=\"S4T~100\"} 0") !=
        std::string::npos);
  CHECK(bridge.cli({"status"}).out.find("pushing paused for S4T~100") != std::string::npos);
  CHECK(bridge.log().find("pushing paused for S4T~100") != std::string::npos);
  CHECK(sim_stats(sim).total.unregistered_systems > 0);
  std::this_thread::sleep_for(1500ms);  // retry runs: still unregistered, still waiting
  CHECK(dead_letters(bridge) == 0);
  CHECK(sim_stats(sim).total.events_accepted < produced(sim));

  // `check` says which systems are missing.
  const auto check = bridge.cli({"check"});
  CHECK(check.exit_code == 1);
  CHECK(check.out.find("OK    S4D~080 is registered") != std::string::npos);
  CHECK(check.out.find("FAIL  S4T~100 is not registered") != std::string::npos);

  // Register the rest (every system the feed lists; those already registered stay as they are).
  reg = bridge.cli({"register"});
  REQUIRE_MESSAGE(reg.exit_code == 0, reg.out << reg.err);
  CHECK(reg.out.find("already registered") != std::string::npos);
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted == produced(sim); }, 30s),
                  bridge.log());
  CHECK(dead_letters(bridge) == 0);
  CHECK(bridge.admin("/readyz").status == 200);
  const auto s = sim_stats(sim);
  CHECK(s.total.order_violations == 0);
  CHECK(s.total.unknown_transports == 0);
  CHECK(bridge.cli({"check"}).exit_code == 0);

  // Offboard production: its next event is refused again and the bridge pauses for it.
  const auto unreg = bridge.cli({"unregister", "--system", "S4P~100"});
  REQUIRE_MESSAGE(unreg.exit_code == 0, unreg.out << unreg.err);
  CHECK(unreg.out.find("offboarded") != std::string::npos);
  const auto history = sim.call({.path = "/sim/ato/history.ndjson", .to_ato = true}).body;
  std::string production_import;
  for (std::size_t pos = 0; pos < history.size();) {
    const auto eol = history.find('\n', pos);
    const auto line = history.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.find("\"service\":\"IMPORT\"") != std::string::npos &&
        line.find("\"sid\":\"S4P\"") != std::string::npos) {
      auto event = parse_recording_line(line);
      event.event_id = "0b7e7d2c-0000-4000-8000-0000000000ff";  // a new event: a re-import
      event.sequence = 1;                                       // the feed assigns the next one
      production_import = to_json(event);
    }
  }
  REQUIRE(!production_import.empty());
  REQUIRE(sim.call({.method = "POST",
                    .path = "/sim/ato/events",
                    .body = "[" + production_import + "]",
                    .to_ato = true})
              .status < 300);
  bridge.admin("/tick/import", "POST");
  REQUIRE_MESSAGE(
      eventually([&] { return status_json(bridge).find("\"S4P~100\":") != std::string::npos; }, 20s),
      bridge.log());
  CHECK(bridge.admin("/readyz").status == 200);  // the other tenants go on
  CHECK(bridge.admin("/readyz").body.find("\"S4P~100\":[\"pushing paused for S4P~100") != std::string::npos);
  CHECK(dead_letters(bridge) == 0);
  bridge.kill(SIGTERM);
  CHECK(bridge.wait().exit_code == 0);
}

// `check` says OK for an outbox that is not there yet only when `run` can create it.
TEST_CASE("check fails for an outbox run could not create: a missing or unwritable directory") {
  SimProcess sim(landscape(1), "sim-outbox-dir");
  BridgeProcess missing(sim, {.outbox_path = (sim.path("no-such-directory") / "outbox.db").string()},
                        "missing");
  auto r = missing.cli({"check"});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(
      r.out.find("FAIL  outbox " + (sim.path("no-such-directory") / "outbox.db").string() +
                 ": none yet, and `ato-bridge run` cannot create it: its directory") != std::string::npos,
      r.out);
  CHECK(r.out.find("does not exist") != std::string::npos);
  if (::geteuid() != 0) {  // root writes anywhere: a read-only directory means nothing to it
    std::filesystem::create_directories(sim.path("read-only"));
    std::filesystem::permissions(sim.path("read-only"),
                                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    BridgeProcess read_only(sim, {.outbox_path = (sim.path("read-only") / "outbox.db").string()}, "ro");
    r = read_only.cli({"check"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.find("is not writable by this user") != std::string::npos);
  }
  BridgeProcess fine(sim, {}, "fine");
  r = fine.cli({"check"});
  CHECK_MESSAGE(r.out.find("the first `ato-bridge run` creates it") != std::string::npos, r.out);
}
