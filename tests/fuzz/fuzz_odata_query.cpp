// What an OData client sends the fake Cloud ALM's Features API: a resource path (first line: set,
// keys in every syntax, navigation, $count, action) and a query string (the rest: $filter grammar,
// $select, $orderby, $top, $skip, $count, $expand). A filter that parses is evaluated on sample
// entities; nothing may crash, and a filter's evaluation must be deterministic.
#include "simulator/alm/features_model.hpp"
#include "simulator/odata/query.hpp"
#include "simulator/odata/resource_path.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

std::vector<ato::sim::ODataEntity> sample_features() {
  ato::sim::Feature a;
  a.uuid = "6f1c2e94-0b4d-4518-8e3a-2755c90d6111";
  a.display_id = "1-1";
  a.title = "Refund's configuration";
  a.placement.tags = {"x", "y"};
  ato::sim::Feature b = a;
  b.uuid = "7a2d3f05-1c5e-4629-9f4b-3866da1e7222";
  b.description = "it''s";
  b.placement.project_id = "P-1";
  b.priority_code = 10;
  return {ato::sim::feature_entity(a, "IN_TESTING"), ato::sim::feature_entity(b, "DEPLOYED")};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = ato::fuzz::text(data, size);
  const auto newline = input.find('\n');
  const auto path = input.substr(0, newline);
  const auto query = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  const auto& model = ato::sim::features_model();
  (void)ato::sim::parse_resource_path(path, model);
  const auto& set = *model.set("Features");
  static const auto entities = sample_features();
  const auto parsed = ato::sim::parse_odata_query(query, set.properties, set.navigation_names());
  if (const auto* q = std::get_if<ato::sim::ODataQuery>(&parsed)) {
    for (const auto& entity : entities)
      if (ato::sim::matches(*q, entity) != ato::sim::matches(*q, entity))
        ato::fuzz::finding("odata query: a filter's verdict changed between two evaluations");
    std::vector<const ato::sim::ODataEntity*> rows;
    for (const auto& entity : entities) rows.push_back(&entity);
    const auto page = ato::sim::odata_page(*q, rows, 1);
    if (page.entities.size() > 1)
      ato::fuzz::finding("odata query: a page larger than the server's page size");
  }
  return 0;
}
