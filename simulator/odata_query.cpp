#include "simulator/odata_query.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "core/json_writer.hpp"

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

std::optional<std::size_t> property_index(const std::vector<ODataProperty>& properties,
                                          std::string_view name) {
  for (std::size_t i = 0; i < properties.size(); ++i)
    if (properties[i].name == name) return i;
  return std::nullopt;
}

bool is_guid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-') || (!dash && !std::isxdigit(static_cast<unsigned char>(s[i])))) return false;
  }
  return true;
}

// An OData literal of the property's type: 'text' (quotes doubled inside), a GUID as is, an integer,
// true/false, null.
std::optional<ODataValue> literal(std::string_view text, ODataType type) {
  if (text == "null") return ODataValue{std::monostate{}};
  switch (type) {
    case ODataType::String:
    case ODataType::DateTimeOffset: {
      if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') return std::nullopt;
      std::string value;
      for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        value += text[i];
        if (text[i] == '\'') {
          if (i + 2 >= text.size() || text[i + 1] != '\'') return std::nullopt;
          ++i;
        }
      }
      return ODataValue{value};
    }
    case ODataType::Guid: {
      std::string value(text);
      for (auto& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!is_guid(value)) return std::nullopt;
      return ODataValue{value};
    }
    case ODataType::Int64: {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
      return ODataValue{v};
    }
    case ODataType::Boolean:
      if (text == "true") return ODataValue{true};
      if (text == "false") return ODataValue{false};
      return std::nullopt;
  }
  return std::nullopt;
}

std::string_view type_name(ODataType type) {
  switch (type) {
    case ODataType::String:
      return "a quoted string ('...')";
    case ODataType::Guid:
      return "a GUID (unquoted)";
    case ODataType::DateTimeOffset:
      return "a quoted timestamp";
    case ODataType::Int64:
      return "an integer";
    case ODataType::Boolean:
      return "true or false";
  }
  return "a value";
}

std::optional<ODataQueryError> parse_filter(std::string_view text,
                                            const std::vector<ODataProperty>& properties, ODataQuery& q) {
  for (auto term : split(text, " and ")) {
    term = trim(term);
    const auto eq = term.find(" eq ");
    if (eq == std::string_view::npos)
      return ODataQueryError{"$filter",
                             fmt::format("'{}': only `property eq value` joined by `and` is served", term)};
    const auto name = trim(term.substr(0, eq));
    const auto index = property_index(properties, name);
    if (!index) return ODataQueryError{"$filter", fmt::format("no property '{}'", name)};
    if (!properties[*index].filterable)
      return ODataQueryError{"$filter", fmt::format("'{}' cannot be filtered on", name)};
    const auto value = literal(trim(term.substr(eq + 4)), properties[*index].type);
    if (!value)
      return ODataQueryError{
          "$filter", fmt::format("'{}': expected {} for {}", term, type_name(properties[*index].type), name)};
    q.filter.push_back({*index, *value});
  }
  return std::nullopt;
}

std::optional<ODataQueryError> parse_select(std::string_view text,
                                            const std::vector<ODataProperty>& properties, ODataQuery& q) {
  for (auto name : split(text, ",")) {
    name = trim(name);
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

std::optional<std::int64_t> count_value(std::string_view text) {
  std::int64_t v = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

void write_value(JsonWriter& json, const ODataValue& value) {
  if (std::holds_alternative<std::monostate>(value))
    json.null();
  else if (const auto* s = std::get_if<std::string>(&value))
    json.value(*s);
  else if (const auto* i = std::get_if<std::int64_t>(&value))
    json.value(*i);
  else
    json.value(std::get<bool>(value));
}

void write_entity(JsonWriter& json, const std::vector<ODataProperty>& properties, const ODataEntity& entity,
                  const std::vector<std::size_t>& select) {
  json.begin_object();
  if (select.empty()) {
    for (std::size_t i = 0; i < properties.size(); ++i) {
      json.key(properties[i].name);
      write_value(json, entity[i]);
    }
  } else {
    for (std::size_t i : select) {
      json.key(properties[i].name);
      write_value(json, entity[i]);
    }
  }
  json.end_object();
}

}  // namespace

std::variant<ODataQuery, ODataQueryError> parse_odata_query(std::string_view query_string,
                                                            const std::vector<ODataProperty>& properties,
                                                            std::int64_t max_top) {
  ODataQuery q;
  for (auto pair : split(query_string, "&")) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string name, value;
    if (!net::percent_decode(pair.substr(0, eq), name, true) ||
        !net::percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value,
                             true))
      return ODataQueryError{std::string(pair.substr(0, eq)), "malformed percent-encoding"};
    if (name.empty() || name.front() != '$') continue;  // custom query options are the client's business
    std::optional<ODataQueryError> problem;
    if (name == "$filter") {
      problem = parse_filter(value, properties, q);
    } else if (name == "$select") {
      problem = parse_select(value, properties, q);
    } else if (name == "$orderby") {
      problem = parse_orderby(value, properties, q);
    } else if (name == "$top" || name == "$skip") {
      const auto n = count_value(value);
      if (!n || (name == "$top" && (*n < 1 || *n > max_top)))
        problem = ODataQueryError{name, name == "$top" ? fmt::format("expected 1 to {}", max_top)
                                                       : std::string("expected a non-negative integer")};
      else
        (name == "$top" ? q.top : q.skip) = *n;
    } else if (name == "$count") {
      if (value != "true" && value != "false")
        problem = ODataQueryError{name, "expected true or false"};
      else
        q.count = value == "true";
    } else {
      problem = ODataQueryError{name, fmt::format("the query option {} is not supported by this service "
                                                  "($filter, $select, $orderby, $top, $skip, $count are)",
                                                  name)};
    }
    if (problem) return *problem;
  }
  return q;
}

bool matches(const ODataQuery& query, const ODataEntity& entity) {
  return std::all_of(query.filter.begin(), query.filter.end(),
                     [&](const ODataQuery::Condition& c) { return entity[c.property] == c.value; });
}

std::string odata_collection_json(std::string_view context, const std::string& collection_path,
                                  std::string_view query_string, const ODataQuery& query,
                                  const std::vector<ODataProperty>& properties,
                                  std::vector<const ODataEntity*> entities) {
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
  const auto total = static_cast<std::int64_t>(entities.size());
  std::string out;
  JsonWriter json(out);
  json.begin_object().field("@odata.context", fmt::format("$metadata#{}", context));
  if (query.count) json.field("@odata.count", total);
  json.key("value").begin_array();
  std::int64_t written = 0;
  for (std::int64_t i = query.skip; i < total && written < query.top; ++i, ++written)
    write_entity(json, properties, *entities[static_cast<std::size_t>(i)], query.select);
  json.end_array();
  if (query.skip + written < total) {
    // The same options, the next $skip.
    std::string next = collection_path + "?";
    for (auto pair : split(query_string, "&")) {
      if (pair.empty() || pair.starts_with("$skip=") || pair.starts_with("%24skip=")) continue;
      next += std::string(pair) + "&";
    }
    next += "$skip=" + std::to_string(query.skip + written);
    if (query_string.find("$top=") == std::string_view::npos &&
        query_string.find("%24top=") == std::string_view::npos)
      next += "&$top=" + std::to_string(query.top);
    json.field("@odata.nextLink", next);
  }
  json.end_object();
  return out;
}

std::string odata_entity_json(std::string_view context, const std::vector<ODataProperty>& properties,
                              const ODataEntity& entity, const std::vector<std::size_t>& select) {
  std::string out;
  JsonWriter json(out);
  // The entity's own properties after the context annotation.
  std::string body;
  JsonWriter inner(body);
  write_entity(inner, properties, entity, select);
  json.begin_object().field("@odata.context", fmt::format("$metadata#{}/$entity", context)).end_object();
  // Splice: {"@odata.context":"..."} + {...props} -> one object.
  out.pop_back();
  out += body.size() > 2 ? "," + body.substr(1) : std::string("}");
  return out;
}

}  // namespace ato::sim
