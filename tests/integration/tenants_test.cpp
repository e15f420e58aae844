// A landscape of tenants end to end (issue 21): the real ato-bridge collects each tenant's feed of
// the real ato-sim on its own schedule, and the fake Cloud ALM hears every tenant separately. No
// sequence orders one tenant's events against another's: whatever order the tenants' jobs collect
// and push in, every transport must end in the status of what happened last to it, with nothing
// lost or taken twice.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <set>
#include <thread>

#include "core/wire.hpp"
#include "tests/support/bridge_process.hpp"
#include "tests/support/sim_queries.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;

namespace {

constexpr EpochMillis kStart = 1'795'161'600'000;  // 2026-11-20T08:00:00Z

// `transports` whose lifecycles (up to ~40 landscape hours) run `time_scale` times faster than real time.
std::vector<std::string> landscape(int transports, std::vector<std::string> extra = {},
                                   const std::string& time_scale = "200000") {
  std::vector<std::string> args = {
      "--generate-count", std::to_string(transports), "--time-scale", time_scale, "--seed", "21",
      "--start-time",     "2026-11-20T08:00:00Z"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

void check_exactly_once(SimProcess& sim) {
  const auto produced = landscape_history(sim);
  const auto accepted = accepted_journal(sim);
  std::map<std::string, int> seen;
  for (const auto& e : accepted) ++seen[e.event_id];
  for (const auto& [id, n] : seen) CHECK_MESSAGE(n == 1, id << " accepted " << n << " times");
  for (const auto& e : produced) CHECK_MESSAGE(seen.count(e.event_id) == 1, e.event_id << " never accepted");
  CHECK(accepted.size() == produced.size());
}

// Every transport Cloud ALM knows shows the status of what happened last to it (the oracle in
// sim_queries.hpp works it out from the landscape's own history).
void check_statuses(SimProcess& sim) {
  const auto expected = expected_statuses(landscape_history(sim));
  const auto shown = shown_statuses(sim);
  REQUIRE(!expected.empty());
  CHECK(shown.size() == expected.size());
  for (const auto& [id, status] : expected) {
    CAPTURE(id);
    REQUIRE(shown.count(id) == 1);
    CHECK(shown.at(id) == status);
  }
}

void stop(BridgeProcess& bridge) {
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
}

// Each tenant's own events, in the order Cloud ALM accepted them, keep that tenant's sequence order
// per transport: the sender's duty (the receiver refuses the opposite as OUT_OF_ORDER).
void check_tenant_order(SimProcess& sim) {
  std::map<std::pair<std::string, std::string>, std::int64_t> last;  // (tenant, transport) -> sequence
  for (const auto& e : accepted_journal(sim)) {
    auto& seen = last[{e.source.key(), e.transport_id}];
    CHECK_MESSAGE(e.sequence > seen, e.source.key() << " " << e.transport_id << ": " << e.sequence
                                                    << " accepted after " << seen);
    seen = e.sequence;
  }
  CHECK(sim_stats(sim).total.order_violations == 0);
}

}  // namespace

TEST_CASE("a feed per tenant: the bridge collects all four, each tenant in its own numbering") {
  SimProcess sim(landscape(20), "sim", true);
  REQUIRE(sim.tenants().size() == 4);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  check_exactly_once(sim);
  check_tenant_order(sim);
  check_statuses(sim);
  // Status and metrics per tenant and service.
  const auto status = bridge.cli({"status", "--json"});
  REQUIRE(status.exit_code == 0);
  simdjson::dom::parser parser;
  const auto root = parser.parse(status.out).value();
  std::set<std::string> tenants_with_jobs;
  for (auto job : simdjson::dom::array(root["services"]))
    if (!job["tenant"].is_null()) tenants_with_jobs.insert(std::string(std::string_view(job["tenant"])));
  CHECK(tenants_with_jobs == std::set<std::string>{"S4D~080", "S4D~100", "S4P~100", "S4T~100"});
  CHECK(simdjson::dom::array(root["tenants"]).size() == 4);
  const auto metrics = bridge.admin("/metrics").body;
  for (const auto& tenant : sim.tenants())
    CHECK(metrics.find("ato_bridge_events_collected_total{tenant=\"" + tenant.name +
                       "\",service=\"export\"}") != std::string::npos);
  const auto cursors = bridge.cli({"cursor", "show"});
  CHECK(cursors.out.find("S4P~100") != std::string::npos);
  // One tenant's job now, or every tenant's; a tenant the configuration does not name is refused.
  const auto one = bridge.cli({"tick", "export", "--tenant", "S4D~080"});
  CHECK_MESSAGE(one.exit_code == 0, one.err);
  CHECK(one.out.find("export of tenant S4D~080: job runs now") != std::string::npos);
  CHECK(bridge.admin("/tick/import", "POST").body.find("4 job(s)") != std::string::npos);
  CHECK(bridge.cli({"tick", "export", "--tenant", "S4X~100"}).exit_code == 2);
  // `cursor set` must name the tenant when there are several.
  stop(bridge);
  const auto unnamed = bridge.cli({"cursor", "set", "export", "1"});
  CHECK(unnamed.exit_code == 2);
  CHECK(unnamed.err.find("--tenant") != std::string::npos);
}

// The test and production tenants' jobs collect and push their imports before the development
// tenants' export jobs run at all: Cloud ALM hears of imports before their exports. Then the other
// way round. The jobs' order is made certain, not left to timing: the bridge first serves only some
// tenants, then (same outbox) all of them. Both end with every transport in its right status and
// nothing lost or taken twice.
TEST_CASE("imports collected before their exports, and the other way round: same statuses, nothing lost") {
  struct Order {
    const char* name;
    std::vector<std::string> first;  // the tenants whose jobs run first, alone
    bool imports_first;
  };
  const std::vector<Order> orders = {
      {"test and production first, development's exports after", {"S4T~100", "S4P~100"}, true},
      {"development first, test and production after", {"S4D~080", "S4D~100"}, false},
  };
  for (const auto& order : orders) {
    const std::string name = order.name;
    INFO(name);
    SimProcess sim(landscape(30), "sim", true);
    REQUIRE(eventually([&] { return generator_done(sim); }, 30s));
    const auto history = landscape_history(sim);
    std::int64_t first_events = 0;
    for (const auto& e : history)
      first_events += std::count(order.first.begin(), order.first.end(), e.source.key());
    TempDir dir;
    const std::string outbox = (dir / "outbox.db").string();
    {
      BridgeProcess early(sim, {.outbox_path = outbox, .tenants = order.first}, "early");
      early.start();
      REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted == first_events; }, 60s),
                      early.log());
      stop(early);
    }
    const auto before_all = sim_stats(sim);
    BridgeProcess all(sim, {.outbox_path = outbox}, "all");
    all.start();
    REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), all.log());
    check_exactly_once(sim);
    check_tenant_order(sim);
    check_statuses(sim);
    const auto s = sim_stats(sim);
    MESSAGE(name << ": events that reached Cloud ALM before their transport's export: "
                 << s.total.unknown_transports);
    if (order.imports_first)
      CHECK(before_all.total.unknown_transports == first_events);  // every one of them came first
    else
      CHECK(s.total.unknown_transports == 0);
    CHECK(s.total.events_rejected == 0);
    stop(all);
  }
}

// SAP: a tenant whose arrangement is activated late loses what it produced before; there is no
// resynchronisation. Production is activated 20 landscape hours after the start here.
TEST_CASE("a tenant activated late: its earlier imports never reach Cloud ALM, and statuses say so") {
  constexpr EpochMillis kActivated = kStart + 20 * 3'600'000;
  SimProcess sim(landscape(40, {"--activate", "S4P~100=+20h"}), "sim", true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  check_exactly_once(sim);
  check_statuses(sim);
  // Nothing production did before its activation was recorded, so nothing of it reached Cloud ALM.
  int production_after = 0;
  for (const auto& e : accepted_journal(sim))
    if (e.source.key() == "S4P~100") {
      CHECK(e.occurred_at >= kActivated);
      ++production_after;
    }
  CHECK(production_after > 0);
  const auto ato = sim.call({.path = "/sim/ato/stats", .to_ato = true}).body;
  simdjson::dom::parser parser;
  std::int64_t lost = -1;
  for (auto t : simdjson::dom::array(parser.parse(ato).value()["tenants"]))
    if (std::string_view(t["name"]) == "S4P~100") lost = int64_t(t["events_not_activated"]);
  CHECK(lost > 0);
  // Forwarded transports whose production import happened before the activation stay at what test
  // reported; those imported after show production.
  std::set<std::string> forwarded;
  for (const auto& e : landscape_history(sim))
    if (const auto* s = std::get_if<StatusChangeDetails>(&e.details);
        s && s->status_type == StatusType::Forward)
      forwarded.insert(e.transport_id);
  const auto shown = shown_statuses(sim);
  int stuck_in_test = 0, in_production = 0;
  for (const auto& id : forwarded) {
    const auto& status = shown.at(id);
    stuck_in_test += status.find("S4T~100") != std::string::npos;
    in_production += status.find("S4P~100") != std::string::npos;
  }
  MESSAGE("forwarded: " << forwarded.size() << ", shown in test only: " << stuck_in_test
                        << ", in production: " << in_production);
  CHECK(stuck_in_test > 0);
  CHECK(in_production > 0);
  stop(bridge);
}

// SAP's setup guide: statuses are right only when both the development and the test tenants are
// connected. A landscape whose test tenant never is: what test imported, Cloud ALM never hears, and
// those transports keep showing Released, the wrong status SAP warns of.
TEST_CASE("a test tenant never connected: transports in test still show Released, as SAP warns") {
  // Rejected approvals keep some transports in test for good.
  SimProcess sim(landscape(40, {"--activate", "S4T~100=later", "--rejection-rate", "0.6"}), "sim", true);
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  check_exactly_once(sim);
  // What the landscape did, test included: the same seed and start time with every tenant connected
  // give the same history (the fake ATO records only what connected tenants do).
  SimProcess truth(landscape(40, {"--only", "ato", "--rejection-rate", "0.6"}), "truth");
  REQUIRE(eventually([&] { return generator_done(truth); }, 60s));
  std::set<std::string> in_test, in_production;
  for (const auto& e : landscape_history(truth))
    if (const auto* i = std::get_if<ImportDetails>(&e.details); i && i->result != ImportResult::Error)
      (i->target.key() == "S4T~100" ? in_test : in_production).insert(e.transport_id);
  const auto shown = shown_statuses(sim);
  int wrong = 0;
  for (const auto& id : in_test) {
    if (in_production.count(id)) continue;  // production's own tenant reports that import
    CAPTURE(id);
    CHECK(shown.at(id) == "Released");  // deployed in test, but Cloud ALM cannot know it
    ++wrong;
  }
  CHECK(wrong > 0);
  for (const auto& [id, status] : shown) CHECK(status.find("S4T~100") == std::string::npos);
  stop(bridge);
}

TEST_CASE("a tenant activated by a call at run time: collected from then on, nothing from before") {
  SimProcess sim(landscape(25, {"--activate", "S4P~100=later"}), "sim", true);
  BridgeProcess bridge(sim, {.tenants = {"S4D~080", "S4D~100", "S4T~100", "S4P~100"}});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return generator_done(sim); }, 60s), bridge.log());
  auto r = sim.call({.method = "POST", .path = "/sim/ato/tenants/S4P~100/activate", .to_ato = true});
  CHECK(r.status == 200);
  CHECK(r.body.find("\"was_active\":false") != std::string::npos);
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  for (const auto& e : accepted_journal(sim)) CHECK(e.source.key() != "S4P~100");  // all happened before
  check_statuses(sim);
  // What production does from now on is collected: an import there, after everything else.
  AtoEvent import;
  for (const auto& e : landscape_history(sim))
    if (std::holds_alternative<ImportDetails>(e.details) && e.occurred_at > import.occurred_at) import = e;
  REQUIRE(!import.event_id.empty());
  import.event_id = "21212121-2121-4121-8121-212121212121";
  import.source = {"S4P", "100"};
  std::get<ImportDetails>(import.details).target = {"S4P", "100"};
  import.occurred_at += 60'000;
  std::get<ImportDetails>(import.details).finished_at = import.occurred_at;
  r = sim.call(
      {.method = "POST", .path = "/sim/ato/events", .body = "[" + to_json(import) + "]", .to_ato = true});
  REQUIRE_MESSAGE(r.status == 200, r.body);
  CHECK(r.body == "{\"sequences\":[1]}");  // the first event production ever recorded
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 30s), bridge.log());
  CHECK(shown_statuses(sim).at(import.transport_id) ==
        (std::get<ImportDetails>(import.details).result == ImportResult::Error ? "Failed in S4P~100"
                                                                               : "Deployed in S4P~100"));
  r = sim.call({.method = "POST", .path = "/sim/ato/tenants/S4X~100/activate", .to_ato = true});
  CHECK(r.status == 404);
  stop(bridge);
}

// One tenant's trouble (here: production's communication user refused with 401) stays in that
// tenant's jobs: the others collect and deliver everything meanwhile; once fixed, nothing is lost.
TEST_CASE("one tenant's trouble stops no other tenant, and nothing is lost once it is fixed") {
  SimProcess sim(landscape(20), "sim", true);
  BridgeProcess bridge(sim, {.wrong_password = {"S4P~100"}});
  bridge.start();
  REQUIRE(eventually([&] { return generator_done(sim); }, 30s));
  std::int64_t others = 0, production = 0;
  for (const auto& e : landscape_history(sim)) (e.source.key() == "S4P~100" ? production : others) += 1;
  REQUIRE(production > 0);
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted == others; }, 60s),
                  bridge.log());
  std::this_thread::sleep_for(1500ms);
  CHECK(sim_stats(sim).total.events_accepted == others);
  for (const auto& e : accepted_journal(sim)) CHECK(e.source.key() != "S4P~100");
  // Said where an operator looks: production's jobs fail with the feed's answer, the others do not.
  const auto status = bridge.cli({"status", "--json"});
  simdjson::dom::parser parser;
  for (auto job : simdjson::dom::array(parser.parse(status.out).value()["services"])) {
    if (job["tenant"].is_null()) continue;
    const std::string tenant{std::string_view(job["tenant"])};
    CAPTURE(tenant);
    if (tenant == "S4P~100") {
      CHECK(int64_t(job["failed_runs"]) > 0);
      CHECK(std::string_view(job["last_result"]).find("401") != std::string_view::npos);
    } else {
      CHECK(int64_t(job["failed_runs"]) == 0);
    }
  }
  CHECK(bridge.log().find("S4P~100 export: run failed") != std::string::npos);
  // Readiness with many tenants: one tenant's trouble keeps the pod in service and is named per tenant.
  const auto ready = bridge.admin("/readyz");
  CHECK(ready.status == 200);
  const auto readiness = parser.parse(ready.body).value();
  const auto problems = readiness["tenant_problems"]["S4P~100"];
  REQUIRE_MESSAGE(!problems.error(), ready.body);
  CHECK(std::string_view(problems.at(0)).find("401") != std::string_view::npos);
  CHECK(readiness["tenant_problems"]["S4T~100"].error());
  const auto metrics = bridge.admin("/metrics").body;
  CHECK(metrics.find("ato_bridge_tenant_healthy{tenant=\"S4P~100\"} 0") != std::string::npos);
  CHECK(metrics.find("ato_bridge_tenant_healthy{tenant=\"S4T~100\"} 1") != std::string::npos);
  CHECK(bridge.cli({"status"}).out.find("! tenant S4P~100: export:") != std::string::npos);
  stop(bridge);
  bridge.set_wrong_passwords({});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 60s), bridge.log());
  check_exactly_once(sim);
  check_tenant_order(sim);
  check_statuses(sim);
  stop(bridge);
}

// One door into the outbox (issue 31): /status and /metrics read the outbox on the outbox thread,
// behind the work queued there, never from the network thread beside it. Asked again and again while
// four tenants drain (the outbox thread claiming, settling and storing all the while), every answer
// is whole, and what one answer counts as done a later one never counts less. The outbox refuses a
// second thread inside it (bridge/outbox/one_user.hpp), so a read from the network thread would
// answer 503 naming "two threads at once".
TEST_CASE("status and metrics while the outbox thread works: every answer read through its one door") {
  SimProcess sim(landscape(400), "sim", true);  // large enough to be asked a few times while it drains
  BridgeProcess bridge(sim);
  bridge.start();
  std::int64_t last_done = 0, answers = 0;
  simdjson::dom::parser parser;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool drained = false;
  while (!drained && std::chrono::steady_clock::now() < deadline && answers < 2000) {
    drained = all_delivered(sim);
    const auto status = bridge.admin("/status");
    REQUIRE_MESSAGE(status.status == 200, status.body);
    const std::int64_t done = parser.parse(status.body)["outbox"]["states"]["done"].get_int64().value();
    CHECK_MESSAGE(done >= last_done, "done went from " << last_done << " to " << done);
    last_done = done;
    const auto metrics = bridge.admin("/metrics");
    REQUIRE(metrics.status == 200);
    CHECK(metrics.body.find("ato_bridge_outbox_events{") != std::string::npos);
    ++answers;
  }
  REQUIRE_MESSAGE(drained, bridge.log());
  MESSAGE("status and metrics answered ", answers, " times each while the outbox drained");
  CHECK(answers >= 2);  // under the sanitizers each answer is slow: 2 of them with 150 transports
  CHECK(last_done <= static_cast<std::int64_t>(landscape_history(sim).size()));
  CHECK(bridge.log().find("two threads at once") == std::string::npos);
  stop(bridge);
}
