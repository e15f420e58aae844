#include "simulator/odata/resource_path.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "core/net/http.hpp"

namespace ato::sim {
namespace {

std::vector<std::string_view> split_outside_quotes(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\'') quoted = !quoted;  // a doubled quote toggles twice
    if (text[i] == separator && !quoted) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  parts.push_back(text.substr(start));
  return parts;
}

ODataPathError not_found(std::string message) {
  return {404, std::move(message)};
}
ODataPathError bad(std::string message) {
  return {400, std::move(message)};
}

// The key of `set` from what stands between the parentheses (or a key segment, `as_segment`).
std::variant<std::vector<ODataValue>, ODataPathError> read_key(std::string_view text,
                                                               const ODataEntitySet& set, bool as_segment) {
  const auto indexes = set.key_indexes();
  std::vector<std::optional<ODataValue>> values(indexes.size());
  if (as_segment) {
    if (indexes.size() != 1)
      return bad(fmt::format("{} has a composite key: write {}(name=value,...)", set.name, set.name));
    const auto& p = set.properties[indexes[0]];
    // A key segment writes a string key without quotes.
    auto value = p.type == ODataType::String ? std::optional<ODataValue>(std::string(text))
                                             : parse_literal(text, p.type);
    if (!value) return bad(fmt::format("key '{}': expected {} for {}", text, literal_form(p.type), p.name));
    return std::vector<ODataValue>{*value};
  }
  const auto parts = split_outside_quotes(text, ',');
  for (const auto part : parts) {
    const auto eq = part.find('=');
    std::size_t slot = 0;
    std::string_view literal = part;
    if (eq == std::string_view::npos) {
      if (parts.size() != 1 || indexes.size() != 1)
        return bad(fmt::format("key '{}': {} is keyed by {}: name each (name=value)", text, set.name,
                               fmt::join(set.key, ", ")));
    } else {
      const auto name = part.substr(0, eq);
      literal = part.substr(eq + 1);
      const auto it = std::find(set.key.begin(), set.key.end(), name);
      if (it == set.key.end())
        return bad(fmt::format("key '{}': {} is no key property of {} ({})", text, name, set.name,
                               fmt::join(set.key, ", ")));
      slot = static_cast<std::size_t>(it - set.key.begin());
    }
    if (values[slot]) return bad(fmt::format("key '{}': {} is given twice", text, set.key[slot]));
    const auto& p = set.properties[indexes[slot]];
    auto value = parse_literal(literal, p.type);
    if (!value || std::holds_alternative<std::monostate>(*value))
      return bad(fmt::format("key '{}': expected {} for {}", text, literal_form(p.type), p.name));
    values[slot] = std::move(*value);
  }
  std::vector<ODataValue> key;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) return bad(fmt::format("key '{}': {} is missing", text, set.key[i]));
    key.push_back(std::move(*values[i]));
  }
  return key;
}

}  // namespace

std::variant<ODataResource, ODataPathError> parse_resource_path(std::string_view path,
                                                                const ODataModel& model) {
  std::vector<std::string> segments;
  for (const auto raw : split_outside_quotes(path, '/')) {
    std::string segment;
    if (!net::percent_decode(raw, segment, false)) return bad("malformed percent-encoding in the path");
    segments.push_back(std::move(segment));
  }
  if (!segments.empty() && segments.back().empty()) segments.pop_back();  // a trailing slash
  if (segments.empty()) return not_found("no entity set named");
  ODataResource resource;
  resource.path = std::string(path);
  std::string_view first = segments[0];
  const auto open = first.find('(');
  const auto set_name = first.substr(0, open);
  resource.set = model.set(set_name);
  if (!resource.set) {
    std::vector<std::string> names;
    for (const auto& s : model.sets) names.push_back(s.name);
    return not_found(fmt::format("No entity set {} ({})", set_name, fmt::join(names, ", ")));
  }
  if (open != std::string_view::npos) {
    if (first.back() != ')') return bad(fmt::format("'{}': the key is not closed with ')'", first));
    auto key = read_key(first.substr(open + 1, first.size() - open - 2), *resource.set, false);
    if (auto* problem = std::get_if<ODataPathError>(&key)) return *problem;
    resource.key = std::move(std::get<std::vector<ODataValue>>(key));
  }
  std::size_t next = 1;
  if (next < segments.size() && segments[next] == "$count") {
    if (resource.key) return bad("$count counts a collection, not one entity");
    resource.count = true;
    ++next;
  } else if (!resource.key && next < segments.size()) {
    auto key = read_key(segments[next], *resource.set, true);
    if (auto* problem = std::get_if<ODataPathError>(&key)) return *problem;
    resource.key = std::move(std::get<std::vector<ODataValue>>(key));
    ++next;
  }
  if (resource.key && next < segments.size()) {
    const auto& segment = segments[next++];
    resource.navigation = resource.set->navigation_named(segment);
    if (!resource.navigation) resource.action = model.action(resource.set->name, segment);
    if (!resource.navigation && !resource.action)
      return not_found(
          fmt::format("{} has no navigation property or action '{}'", resource.set->name, segment));
    if (resource.navigation && resource.navigation->many && next < segments.size() &&
        segments[next] == "$count") {
      resource.count = true;
      ++next;
    }
  }
  if (next < segments.size())
    return not_found(fmt::format("No resource at '{}' (after '{}')", path, segments[next - 1]));
  return resource;
}

}  // namespace ato::sim
