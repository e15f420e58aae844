#include "simulator/odata/query.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>

#include "core/json_writer.hpp"
#include "core/net/http.hpp"

namespace ato::sim {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text = text.substr(at + separator.size());
  }
}

// A navigation property may be selected too (V4: it is then in the answer where $expand asks for it).
std::optional<ODataQueryError> parse_select(std::string_view text,
                                            const std::vector<ODataProperty>& properties,
                                            const std::vector<std::string>& navigation, ODataQuery& q) {
  for (auto name : split(text, ",")) {
    name = trim(name);
    if (name == "*") {
      q.select.clear();
      return std::nullopt;
    }
    if (std::find(navigation.begin(), navigation.end(), name) != navigation.end()) continue;
    const auto index = property_index(properties, name);
    if (!index) return ODataQueryError{"$select", fmt::format("no property '{}'", name)};
    q.select.push_back(*index);
  }
  return std::nullopt;
}

std::optional<ODataQueryError> parse_orderby(std::string_view text,
                                             const std::vector<ODataProperty>& properties, ODataQuery& q) {
  for (auto item : split(text, ",")) {
    item = trim(item);
    const auto space = item.find(' ');
    const auto name = item.substr(0, space);
    const auto direction =
        space == std::string_view::npos ? std::string_view("asc") : trim(item.substr(space));
    const auto index = property_index(properties, name);
    if (!index) return ODataQueryError{"$orderby", fmt::format("no property '{}'", name)};
    if (!properties[*index].sortable)
      return ODataQueryError{"$orderby", fmt::format("'{}' cannot be sorted on", name)};
    if (direction != "asc" && direction != "desc")
      return ODataQueryError{"$orderby", fmt::format("'{}': expected asc or desc", item)};
    q.orderby.push_back({*index, direction == "desc"});
  }
  return std::nullopt;
}

std::optional<ODataQueryError> parse_expand(std::string_view text, const std::vector<std::string>& navigation,
                                            ODataQuery& q) {
  for (auto name : split(text, ",")) {
    name = trim(name);
    if (name.find('(') != std::string_view::npos || name.find('/') != std::string_view::npos)
      return ODataQueryError{"$expand",
                             fmt::format("'{}': options and paths inside $expand are not supported", name)};
    if (std::find(navigation.begin(), navigation.end(), name) == navigation.end())
      return ODataQueryError{
          "$expand",
          navigation.empty()
              ? fmt::format("no navigation property '{}' (this entity has none)", name)
              : fmt::format("no navigation property '{}' ({})", name, fmt::join(navigation, ", "))};
    q.expand.emplace_back(name);
  }
  return std::nullopt;
}

std::optional<std::int64_t> whole_number(std::string_view text) {
  std::int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

// SAP's own custom query options, which SAP clients add to any call.
bool is_sap_custom_option(std::string_view name) {
  return name == "sap-client" || name == "sap-language" || name == "sap-statistics";
}

void write_value(JsonWriter& json, const ODataValue& value) {
  if (std::holds_alternative<std::monostate>(value))
    json.null();
  else if (const auto* s = std::get_if<std::string>(&value))
    json.value(*s);
  else if (const auto* i = std::get_if<std::int64_t>(&value))
    json.value(*i);
  else if (const auto* b = std::get_if<bool>(&value))
    json.value(*b);
  else {
    json.begin_array();
    for (const auto& item : std::get<std::vector<std::string>>(value)) json.value(item);
    json.end_array();
  }
}

}  // namespace

std::variant<ODataQuery, ODataQueryError> parse_odata_query(std::string_view query_string,
                                                            const std::vector<ODataProperty>& properties,
                                                            const std::vector<std::string>& navigation) {
  ODataQuery q;
  std::vector<std::string> seen;
  for (auto pair : split(query_string, "&")) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string name, value;
    if (!net::percent_decode(pair.substr(0, eq), name, true) ||
        !net::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value,
                             true))
      return ODataQueryError{std::string(pair.substr(0, eq)), "malformed percent-encoding"};
    if (!name.empty() && name.front() != '$') {
      if (is_sap_custom_option(name)) continue;
      return ODataQueryError{name,
                             fmt::format("the custom query option {} is not served (system options start "
                                         "with $)",
                                         name)};
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      return ODataQueryError{name, fmt::format("{} is given twice", name)};
    seen.push_back(name);
    std::optional<ODataQueryError> problem;
    if (name == "$filter") {
      auto filter = ODataFilter::parse(value, properties);
      if (auto* message = std::get_if<std::string>(&filter))
        problem = ODataQueryError{name, *message};
      else
        q.filter = std::move(std::get<ODataFilter>(filter));
    } else if (name == "$select") {
      problem = parse_select(value, properties, navigation, q);
    } else if (name == "$orderby") {
      problem = parse_orderby(value, properties, q);
    } else if (name == "$expand") {
      problem = parse_expand(value, navigation, q);
    } else if (name == "$top" || name == "$skip") {
      const auto n = whole_number(value);
      if (!n)
        problem = ODataQueryError{name, "expected a non-negative integer"};
      else if (name == "$top")
        q.top = *n;
      else
        q.skip = *n;
    } else if (name == "$count") {
      if (value != "true" && value != "false")
        problem = ODataQueryError{name, "expected true or false"};
      else
        q.count = value == "true";
    } else if (name == "$format") {
      if (value != "json" && !value.starts_with("application/json"))
        problem = ODataQueryError{name, fmt::format("'{}': only json is served", value)};
    } else {
      problem =
          ODataQueryError{name, fmt::format("the query option {} is not supported by this service "
                                            "($filter, $select, $orderby, $top, $skip, $count, $expand, "
                                            "$format are)",
                                            name.empty() ? std::string("''") : name)};
    }
    if (problem) return *problem;
  }
  return q;
}

std::optional<ODataQueryError> refuse_unserved_options(std::string_view query_string,
                                                       const std::vector<std::string_view>& served,
                                                       std::string_view advice) {
  std::vector<std::string> seen;
  for (auto pair : split(query_string, "&")) {
    if (pair.empty()) continue;
    std::string name;
    if (!net::percent_decode(pair.substr(0, pair.find('=')), name, true))
      return ODataQueryError{std::string(pair.substr(0, pair.find('='))), "malformed percent-encoding"};
    if (is_sap_custom_option(name)) continue;
    if (std::find(served.begin(), served.end(), name) == served.end())
      return ODataQueryError{name, fmt::format("{} is not supported here ({} are); {}",
                                               name.empty() ? "''" : name, fmt::join(served, ", "), advice)};
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      return ODataQueryError{name, fmt::format("{} is given twice", name)};
    seen.push_back(name);
  }
  return std::nullopt;
}

bool matches(const ODataQuery& query, const ODataEntity& entity) {
  return !query.filter || query.filter->matches(entity);
}

void write_entity_properties(JsonWriter& json, const std::vector<ODataProperty>& properties,
                             const ODataEntity& entity, const std::vector<std::size_t>& select) {
  if (select.empty()) {
    for (std::size_t i = 0; i < properties.size(); ++i) {
      json.key(properties[i].name);
      write_value(json, entity[i]);
    }
    return;
  }
  for (std::size_t i : select) {
    json.key(properties[i].name);
    write_value(json, entity[i]);
  }
}

ODataPage odata_page(const ODataQuery& query, std::vector<const ODataEntity*> entities,
                     std::int64_t page_size) {
  std::erase_if(entities, [&](const ODataEntity* e) { return !matches(query, *e); });
  // Stable pages: the requested order, then the key (the first property).
  std::stable_sort(entities.begin(), entities.end(), [&](const ODataEntity* a, const ODataEntity* b) {
    for (const auto& order : query.orderby) {
      const auto& x = (*a)[order.property];
      const auto& y = (*b)[order.property];
      if (x != y) return order.descending ? y < x : x < y;
    }
    return (*a)[0] < (*b)[0];
  });
  ODataPage page;
  page.total = static_cast<std::int64_t>(entities.size());
  const std::int64_t wanted =
      std::min(query.top.value_or(page.total), std::max<std::int64_t>(page.total - query.skip, 0));
  const std::int64_t served = std::min(wanted, page_size);
  for (std::int64_t i = 0; i < served; ++i)
    page.entities.push_back(entities[static_cast<std::size_t>(query.skip + i)]);
  // A next link only where the server cut what the client asked for.
  if (served < wanted) {
    page.next_skip = query.skip + served;
    page.left_to_top = query.top ? *query.top - served : 0;
  }
  return page;
}

std::string odata_next_link(const std::string& collection_path, std::string_view query_string,
                            const ODataQuery& query, const ODataPage& page) {
  std::string next = collection_path + "?";
  for (auto pair : split(query_string, "&")) {
    if (pair.empty() || pair.starts_with("$skip=") || pair.starts_with("%24skip=") ||
        pair.starts_with("$top=") || pair.starts_with("%24top="))
      continue;
    next += std::string(pair) + "&";
  }
  next += "$skip=" + std::to_string(*page.next_skip);
  if (query.top) next += "&$top=" + std::to_string(page.left_to_top);
  return next;
}

}  // namespace ato::sim
