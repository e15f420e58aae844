// OData V4 as the specification writes it, case by case, against the real ato-sim (issue 32): the
// Features API's key syntaxes, service document, /$count, $top=0, the $filter grammar clients send,
// $orderby with several keys, $select, $expand, paging only when the server cut the result, and a
// 400 naming every option that is not served; the ATO feed refusing what it does not serve too.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <set>

#include "tests/support/sample_events.hpp"
#include "tests/support/sim_process.hpp"

using namespace ato;
using namespace ato::test;

namespace {

constexpr const char* kApi = "/api/calm-features/v1";

// A client of the Features API on a simulator holding five released transports (S4DK900001..5),
// the second deployed in S4T~100.
struct Client {
  SimProcess sim{{"--only", "alm"}};
  std::string auth = "Authorization: Bearer " + sim.token();

  Client() {
    const auto token = sim.token();
    for (int i = 1; i <= 5; ++i) push_one(sim, token, exported(i, "S4DK90000" + std::to_string(i)));
    push_one(sim, token, imported(6, "S4DK900002", {"S4T", "100"}));
  }
  HttpResult get(const std::string& path) { return sim.call({.path = kApi + path, .headers = {auth}}); }
  HttpResult send(const std::string& method, const std::string& path, const std::string& body) {
    return sim.call({.method = method, .path = kApi + path, .body = body, .headers = {auth}});
  }
  // The values of `field` in a collection answer, in order.
  std::vector<std::string> column(const std::string& path, const char* field) {
    const auto r = get(path);
    REQUIRE_MESSAGE(r.status == 200, path << ": " << r.body);
    simdjson::dom::parser parser;
    std::vector<std::string> out;
    for (auto e : simdjson::dom::array(parser.parse(r.body).value()["value"])) {
      const auto v = e[field];
      out.push_back(v.is_string() ? std::string(std::string_view(v)) : simdjson::to_string(v));
    }
    return out;
  }
  std::string create_feature(const std::string& body) {
    const auto r = send("POST", "/Features", body);
    REQUIRE_MESSAGE(r.status == 201, r.body);
    simdjson::dom::parser parser;
    return std::string(std::string_view(parser.parse(r.body).value()["uuid"]));
  }
};

std::string error_target(const HttpResult& r) {
  return parse_odata_error(r.body).target.value_or("");
}

}  // namespace

TEST_CASE("Features API: the service document, every key syntax, and composite keys") {
  Client c;
  for (const auto* root : {"", "/"}) {
    const auto r = c.get(root);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    for (const auto* set : {"Features", "FeatureStatus", "FeaturePriorities", "TaskAssignments", "Transports",
                            "TransportReferences", "URLReferences", "ExternalReferences"})
      CHECK_MESSAGE(r.body.find(std::string(R"("url":")") + set + "\"") != std::string::npos, set);
  }
  const auto uuid =
      c.create_feature(R"({"title":"Keys","projectId":"P-1","priorityCode":"10","tags":["a"]})");
  std::string upper = uuid;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  const auto canonical = c.get("/Features(" + uuid + ")").body;
  for (const auto& path : {"/Features(uuid=" + uuid + ")", "/Features/" + uuid, "/Features(" + upper + ")",
                           "/Features(%27" + uuid + "%27)"}) {
    const auto r = c.get(path);
    CHECK_MESSAGE(r.status == 200, path);
    CHECK(r.body == canonical);
  }
  CHECK(canonical.find(R"("projectId":"P-1","statusCode":"IN_SPECIFICATION","priorityCode":10)") !=
        std::string::npos);
  CHECK(canonical.find(R"("tags":["a"])") != std::string::npos);
  // PATCH by key-as-segment, as public clients write it.
  auto r = c.send("PATCH", "/Features/" + uuid, R"({"priorityCode":40,"workstreamId":"W-2"})");
  CHECK_MESSAGE(r.status == 200, r.body);
  CHECK(r.body.find(R"("priorityCode":40)") != std::string::npos);
  CHECK(c.get("/Features(nouuid=" + uuid + ")").status == 400);
  CHECK(c.get("/Features(12)").status == 400);
  CHECK(c.get("/Features(00000000-0000-4000-8000-000000000000)").status == 404);

  // ExternalReferences are keyed by (id, parentUuid); URL references by their uuid.
  r = c.send(
      "POST", "/ExternalReferences",
      R"({"id":"JIRA-7","parentUuid":")" + uuid + R"(","name":"Ticket","url":"https://t.example/JIRA-7"})");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(r.headers.at("location") ==
        std::string(kApi) + "/ExternalReferences(id='JIRA-7',parentUuid=" + uuid + ")");
  CHECK(c.get("/ExternalReferences(id=%27JIRA-7%27,parentUuid=" + uuid + ")").status == 200);
  CHECK(c.get("/ExternalReferences(parentUuid=" + uuid + ",id=%27JIRA-7%27)").status == 200);
  CHECK(c.get("/ExternalReferences(id=%27JIRA-7%27)").status == 400);  // half a key
  CHECK(c.get("/ExternalReferences/JIRA-7").status == 400);            // composite: no key segment
  r = c.send("POST", "/URLReferences",
             R"({"parentUuid":")" + uuid + R"(","name":"Spec","url":"https://x.example"})");
  REQUIRE_MESSAGE(r.status == 201, r.body);
  CHECK(c.get("/Features(" + uuid + ")/urlReferences/$count").body == "1");
  CHECK(c.send("DELETE", "/ExternalReferences(id=%27JIRA-7%27,parentUuid=" + uuid + ")", "").status == 204);
  CHECK(c.get("/ExternalReferences/$count").body == "0");
  CHECK(c.get("/TaskAssignments").status == 200);
  CHECK(c.get("/FeaturePriorities(%2710%27)").body.find(R"("code":"10","name":"Very High")") !=
        std::string::npos);
  // Transports are read-only here; so are statuses and priorities.
  CHECK(c.send("POST", "/Transports", "{}").status == 405);
  CHECK(c.send("DELETE", "/FeatureStatus(%27DEPLOYED%27)", "").status == 405);
}

TEST_CASE("Features API: $count, $top=0, the $filter grammar, $orderby with several keys, $select, $expand") {
  Client c;
  CHECK(c.get("/Transports/$count").body == "5");
  CHECK(c.get("/Transports/$count?$filter=status%20eq%20%27Released%27").body == "4");
  auto r = c.get("/Transports?$top=0&$count=true");
  CHECK(r.body == R"({"@odata.context":"$metadata#Transports","@odata.count":5,"value":[]})");
  const auto ids = [&](const std::string& filter) {
    auto values = c.column("/Transports?$select=transportRequest&$filter=" + filter, "transportRequest");
    std::sort(values.begin(), values.end());
    std::string joined;
    for (const auto& v : values) joined += (joined.empty() ? "" : " ") + v.substr(8);
    return joined;
  };
  CHECK(ids("(status%20eq%20%27Released%27)") == "01 03 04 05");  // SAP Cloud SDK's parentheses
  CHECK(ids("status%20ne%20%27Released%27") == "02");
  CHECK(ids("transportRequest%20gt%20%27S4DK900003%27") == "04 05");
  CHECK(ids("transportRequest%20ge%20%27S4DK900003%27%20and%20transportRequest%20lt%20%27S4DK900005%27") ==
        "03 04");
  CHECK(ids("transportRequest%20le%20%27S4DK900001%27%20or%20transportRequest%20eq%20%27S4DK900005%27") ==
        "01 05");
  CHECK(ids("not%20(status%20eq%20%27Released%27)") == "02");
  CHECK(ids("transportRequest%20in%20(%27S4DK900002%27,%27S4DK900004%27)") == "02 04");
  CHECK(ids("contains(status,%27S4T%27)") == "02");
  CHECK(ids("startswith(transportRequest,%27S4DK90000%27)%20and%20endswith(transportRequest,%274%27)") ==
        "04");
  CHECK(ids("contains(tolower(status),%27deployed%27)") == "02");
  CHECK(ids("featureUuid%20eq%20null") == "01 02 03 04 05");
  CHECK(ids("featureUuid%20ne%20null") == "");
  CHECK(ids("createdAt%20gt%202020-01-01T00:00:00Z") == "01 02 03 04 05");
  CHECK(ids("((status%20eq%20%27Released%27)%20and%20(not%20contains(transportRequest,%273%27)))") ==
        "01 04 05");

  CHECK(c.column("/Transports?$orderby=status%20desc,transportRequest%20asc", "transportRequest") ==
        std::vector<std::string>{"S4DK900001", "S4DK900003", "S4DK900004", "S4DK900005", "S4DK900002"});
  r = c.get("/Transports?$top=1&$select=status");
  CHECK(r.body == R"({"@odata.context":"$metadata#Transports","value":[{"status":"Released"}]})");
  // $expand of navigation properties $metadata declares: to one and to many.
  const auto feature = c.create_feature(R"({"title":"Expand"})");
  REQUIRE(c.send("POST", "/TransportReferences",
                 R"({"featureUuid":")" + feature + R"(","transportRequest":"S4DK900003"})")
              .status == 201);
  r = c.get("/Features(" + feature + ")?$select=title&$expand=transportReferences,status");
  CHECK(r.body.find(R"("title":"Expand","transportReferences":[{)") != std::string::npos);
  CHECK(r.body.find(R"("transportRequest":"S4DK900003")") != std::string::npos);
  CHECK(r.body.find(R"("status":{"code":"IN_SPECIFICATION","name":"In Specification"})") !=
        std::string::npos);
  r = c.get(
      "/Transports?$filter=transportRequest%20eq%20%27S4DK900003%27&$select=transportRequest&$expand="
      "feature");
  CHECK(r.body.find(R"("feature":{"uuid":")" + feature) != std::string::npos);
  CHECK(c.get("/Features(" + feature + ")/transportReferences").body.find("S4DK900003") != std::string::npos);
}

TEST_CASE("Features API: a next link only where the server cut the result") {
  Client c;
  // The client's $top is all it gets.
  auto r = c.get("/Transports?$top=2");
  CHECK(r.body.find("@odata.nextLink") == std::string::npos);
  // More than one answer carries (here 2, --odata-page-size; 1,000 by default): the server cuts and
  // links the rest.
  SimProcess small({"--only", "alm", "--odata-page-size", "2"});
  const std::string auth = "Authorization: Bearer " + small.token();
  for (int i = 0; i < 3; ++i)
    REQUIRE(small
                .call({.method = "POST",
                       .path = std::string(kApi) + "/Features",
                       .body = R"({"title":"F)" + std::to_string(i) + R"("})",
                       .headers = {auth}})
                .status == 201);
  r = small.call({.path = std::string(kApi) + "/Features?$select=displayId&$count=true", .headers = {auth}});
  simdjson::dom::parser parser;
  auto root = parser.parse(r.body).value();
  CHECK(simdjson::dom::array(root["value"]).size() == 2);
  CHECK(std::int64_t(root["@odata.count"]) == 3);
  const std::string next{std::string_view(root["@odata.nextLink"])};
  CHECK(next == std::string(kApi) + "/Features?$select=displayId&$count=true&$skip=2");
  r = small.call({.path = next, .headers = {auth}});
  root = parser.parse(r.body).value();
  CHECK(simdjson::dom::array(root["value"]).size() == 1);
  CHECK(root["@odata.nextLink"].error() == simdjson::NO_SUCH_FIELD);
  // A $top above the server's page: cut, and the link asks for what is left of it.
  r = small.call(
      {.path = std::string(kApi) + "/Features?$select=displayId&$top=3&$skip=0", .headers = {auth}});
  root = parser.parse(r.body).value();
  CHECK(std::string_view(root["@odata.nextLink"]) ==
        std::string(kApi) + "/Features?$select=displayId&$skip=2&$top=1");
  // A $top within the page: no link, though more entities remain.
  r = small.call({.path = std::string(kApi) + "/Features?$top=1", .headers = {auth}});
  CHECK(r.body.find("@odata.nextLink") == std::string::npos);
}

TEST_CASE("Features API and ATO feed: an option not served is a 400 naming it, never a silent 200") {
  Client c;
  for (const auto& [query, target] :
       std::vector<std::pair<std::string, std::string>>{{"$bogus=1", "$bogus"},
                                                        {"$search=x", "$search"},
                                                        {"$apply=groupby((status))", "$apply"},
                                                        {"$skiptoken=abc", "$skiptoken"},
                                                        {"$format=xml", "$format"},
                                                        {"foo=1", "foo"},
                                                        {"$top=1&$top=2", "$top"},
                                                        {"$expand=nope", "$expand"},
                                                        {"$expand=feature($select=title)", "$expand"},
                                                        {"$filter=length(status)%20gt%201", "$filter"},
                                                        {"$filter=status%20eq%20%27x%27%20and", "$filter"},
                                                        {"$filter=status%20eq%201", "$filter"},
                                                        {"$filter=((status%20eq%20%27x%27)", "$filter"},
                                                        {"$filter=featureUuid/any(d:d%20eq%201)", "$filter"},
                                                        {"$orderby=status%20sideways", "$orderby"}}) {
    CAPTURE(query);
    const auto r = c.sim.call(
        {.path = std::string(kApi) + "/Transports?" + query, .headers = {c.auth}, .schema = "odata-error"});
    CHECK(r.status == 400);
    CHECK(error_target(r) == target);
  }
  CHECK(c.get("/Transports?$format=json&sap-client=100").status == 200);
  // Filters nested deeper than the parser's bound are refused, not followed.
  std::string deep = "/Transports?$filter=";
  for (int i = 0; i < 300; ++i) deep += "(";
  CHECK(c.get(deep + "status%20eq%20%27x%27").status == 400);

  // The ATO feed serves $filter, $top, $count and $format: anything else is named and refused.
  SimProcess ato({"--only", "ato", "--generate-count", "3", "--time-scale", "200000"});
  const auto feed = ato.feed_path();
  for (const auto& [query, target] :
       std::vector<std::pair<std::string, std::string>>{{"$skip=1", "$skip"},
                                                        {"$orderby=sequence%20desc", "$orderby"},
                                                        {"$select=eventId", "$select"},
                                                        {"$bogus=1", "$bogus"},
                                                        {"$top=5&$top=6", "$top"},
                                                        {"$format=xml", "$format"}}) {
    CAPTURE(query);
    const auto r = ato.call({.path = feed + "?" + query,
                             .basic_user = ato.ato_credentials(),
                             .schema = "odata-error",
                             .to_ato = true});
    CHECK(r.status == 400);
    CHECK(error_target(r) == target);
  }
  const auto all =
      ato.call({.path = feed + "?$count=true&$top=1", .basic_user = ato.ato_credentials(), .to_ato = true});
  REQUIRE(all.status == 200);
  simdjson::dom::parser parser;
  const auto total = std::int64_t(parser.parse(all.body).value()["@odata.count"]);
  const auto counted =
      ato.call({.path = feed + "/$count", .basic_user = ato.ato_credentials(), .to_ato = true});
  CHECK(counted.status == 200);
  CHECK(counted.body == std::to_string(total));
  CHECK(ato.call({.path = feed + "/$count?$top=1", .basic_user = ato.ato_credentials(), .to_ato = true})
            .status == 400);
}

TEST_CASE("Features API sandbox: the same API read-only under /SAPCALM with an APIKey header") {
  SimProcess sim({"--only", "alm", "--sandbox-api-key", "sandbox-key-1"});
  push_one(sim, sim.token(), exported(1, "S4DK900001"));
  const auto ready = read_text(sim.path("ready.json"));
  CHECK(ready.find(R"("sandbox_url": ")" + sim.url() + "/SAPCALM\"") != std::string::npos);
  CHECK(ready.find(R"("sandbox_api_key": "sandbox-key-1")") != std::string::npos);
  const std::string root = "/SAPCALM/calm-features/v1";
  auto r =
      sim.call({.path = root + "/Transports?$select=transportRequest", .headers = {"APIKey: sandbox-key-1"}});
  CHECK(r.status == 200);
  CHECK(r.headers.at("odata-version") == "4.0");
  CHECK(r.body.find(R"("transportRequest":"S4DK900001")") != std::string::npos);
  CHECK(sim.call({.path = root + "/$metadata", .headers = {"APIKey: sandbox-key-1"}}).status == 200);
  // No key, a wrong key, or a bearer token instead: refused as SAP's gateway refuses them.
  for (const auto& header :
       {std::string("X-Other: 1"), std::string("APIKey: nope"), "Authorization: Bearer " + sim.token()}) {
    CAPTURE(header);
    r = sim.call({.path = root + "/Transports", .headers = {header}});
    CHECK(r.status == 401);
    CHECK(r.body.find("\"fault\"") != std::string::npos);
  }
  // Read-only: a write with the right key is refused, and nothing was created.
  r = sim.call({.method = "POST",
                .path = root + "/Features",
                .body = R"({"title":"x"})",
                .headers = {"APIKey: sandbox-key-1"},
                .schema = "odata-error"});
  CHECK(r.status == 405);
  CHECK(sim.call({.path = root + "/Features/$count", .headers = {"APIKey: sandbox-key-1"}}).body == "0");
}
