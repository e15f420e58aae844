// The values and property descriptions an OData V4 entity set of the simulator is made of: what
// $filter, $orderby, $select and $metadata are checked against.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ato::sim {

// A property value: null, text (strings, GUIDs, timestamps as ISO-8601 UTC with milliseconds, so
// they order as text), an integer, a boolean, or a collection of strings (tags).
using ODataValue = std::variant<std::monostate, std::string, std::int64_t, bool, std::vector<std::string>>;

enum class ODataType { String, Guid, DateTimeOffset, Int32, Int64, Boolean, StringCollection };

struct ODataProperty {
  std::string name;
  ODataType type = ODataType::String;
  bool nullable = true;
  bool filterable = true;
  bool sortable = true;
  int max_length = 0;  // 0: none declared
};

// One entity: its properties' values, in the order of the entity type's properties.
using ODataEntity = std::vector<ODataValue>;

std::optional<std::size_t> property_index(const std::vector<ODataProperty>& properties,
                                          std::string_view name);
bool is_guid(std::string_view text);
// The EDM name ("Edm.Guid"), and how a literal of the type is written, for error messages.
std::string_view edm_name(ODataType type);
std::string_view literal_form(ODataType type);
// A literal as a $filter or a key writes it, read as a value of `type`: 'text' (quotes doubled
// inside), a GUID, an integer, true/false, a timestamp, null. nullopt: not a literal of that type.
std::optional<ODataValue> parse_literal(std::string_view text, ODataType type);

}  // namespace ato::sim
