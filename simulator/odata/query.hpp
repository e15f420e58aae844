// The system query options of an OData V4 collection as the simulator serves them: $filter (the
// grammar of simulator/odata/filter.hpp), $select, $orderby (several keys, asc/desc), $top (0 too),
// $skip, $count, $expand (of the navigation properties the entity type declares), $format=json.
// An option it does not serve ($search, $apply, $skiptoken, ...), a property the entity does not
// have, or a malformed value is a 400 that names the option: never silently ignored, so a client
// never gets more or less than it asked for. Custom options (no $) are accepted only when SAP's
// (sap-client, sap-language, ...), the rest refused the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "simulator/odata/filter.hpp"
#include "simulator/odata/values.hpp"

namespace ato {
class JsonWriter;
}

namespace ato::sim {

struct ODataQuery {
  struct Order {
    std::size_t property = 0;
    bool descending = false;
  };
  std::optional<ODataFilter> filter;
  std::vector<std::size_t> select;  // empty: every property
  std::vector<Order> orderby;
  std::optional<std::int64_t> top;  // the client's; nullopt: all (in server pages)
  std::int64_t skip = 0;
  bool count = false;
  std::vector<std::string> expand;  // navigation properties, as named
};

struct ODataQueryError {
  std::string option;
  std::string message;
};

// The options of `query_string` against `properties` (and the navigation properties that may be
// expanded); the error names the option and the problem.
std::variant<ODataQuery, ODataQueryError> parse_odata_query(std::string_view query_string,
                                                            const std::vector<ODataProperty>& properties,
                                                            const std::vector<std::string>& navigation = {});

bool matches(const ODataQuery& query, const ODataEntity& entity);

// For a service that serves only some options (the ATO feed): the first option of `query_string`
// that is not in `served` (SAP's own custom options aside), or given twice, as an error naming it;
// `advice` is added to the message of an option not served.
std::optional<ODataQueryError> refuse_unserved_options(std::string_view query_string,
                                                       const std::vector<std::string_view>& served,
                                                       std::string_view advice);

// Writes an entity's properties (those selected) into an object already begun.
void write_entity_properties(JsonWriter& json, const std::vector<ODataProperty>& properties,
                             const ODataEntity& entity, const std::vector<std::size_t>& select);

// The entities that match, in the requested order (then by key), as the page the options ask for.
struct ODataPage {
  std::vector<const ODataEntity*> entities;  // this page
  std::int64_t total = 0;                    // all that matched
  std::optional<std::int64_t> next_skip;     // set when the server cut the result
  std::int64_t left_to_top = 0;              // with next_skip: how many of the client's $top remain
};
ODataPage odata_page(const ODataQuery& query, std::vector<const ODataEntity*> entities,
                     std::int64_t page_size);

// The @odata.nextLink of a cut page: the same options, the next $skip (and the $top left).
std::string odata_next_link(const std::string& collection_path, std::string_view query_string,
                            const ODataQuery& query, const ODataPage& page);

}  // namespace ato::sim
