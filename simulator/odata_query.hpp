// The query options of an OData v4 collection as the fake Cloud ALM's Features service serves them:
// $filter (eq joined by and), $select, $orderby, $top, $skip, $count. An option it does not serve
// ($expand, $search, ...), a property the entity does not have, or a malformed value is a 400 that
// names it: never silently ignored, so a client never gets more or less than it asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/net/http.hpp"

namespace ato::sim {

// A property value: null, text (strings, GUIDs, timestamps), an integer or a boolean.
using ODataValue = std::variant<std::monostate, std::string, std::int64_t, bool>;

enum class ODataType { String, Guid, DateTimeOffset, Int64, Boolean };

struct ODataProperty {
  std::string name;
  ODataType type = ODataType::String;
  bool filterable = true;
  bool sortable = true;
};

// One entity: its properties' values, in the order of the entity type's properties.
using ODataEntity = std::vector<ODataValue>;

struct ODataQuery {
  struct Condition {
    std::size_t property = 0;
    ODataValue value;
  };
  struct Order {
    std::size_t property = 0;
    bool descending = false;
  };
  std::vector<Condition> filter;
  std::vector<std::size_t> select;  // empty: every property
  std::vector<Order> orderby;
  std::int64_t top = 100, skip = 0;
  bool count = false;
};

// The options of `query_string` against `properties`; the error names the option and the problem.
struct ODataQueryError {
  std::string option;
  std::string message;
};
std::variant<ODataQuery, ODataQueryError> parse_odata_query(std::string_view query_string,
                                                            const std::vector<ODataProperty>& properties,
                                                            std::int64_t max_top = 1000);

bool matches(const ODataQuery& query, const ODataEntity& entity);

// The collection answer: the matching entities ordered and paged, @odata.count when asked, and an
// @odata.nextLink (`collection_path` with the same options and the next $skip) when more remain.
std::string odata_collection_json(std::string_view context, const std::string& collection_path,
                                  std::string_view query_string, const ODataQuery& query,
                                  const std::vector<ODataProperty>& properties,
                                  std::vector<const ODataEntity*> entities);
// One entity, with its @odata.context.
std::string odata_entity_json(std::string_view context, const std::vector<ODataProperty>& properties,
                              const ODataEntity& entity, const std::vector<std::size_t>& select = {});

}  // namespace ato::sim
