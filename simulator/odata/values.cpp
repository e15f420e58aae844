#include "simulator/odata/values.hpp"

#include <cctype>
#include <charconv>
#include <iterator>

#include "core/time.hpp"

namespace ato::sim {

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

namespace {

// Per type, in the order of ODataType: its EDM name and how a literal of it is written.
struct TypeNames {
  std::string_view edm, literal;
};
constexpr TypeNames kTypeNames[] = {
    {"Edm.String", "a quoted string ('...')"},
    {"Edm.Guid", "a GUID"},
    {"Edm.DateTimeOffset", "a timestamp (2024-05-01T00:00:00Z)"},
    {"Edm.Int32", "an integer"},
    {"Edm.Int64", "an integer"},
    {"Edm.Boolean", "true or false"},
    {"Collection(Edm.String)", "no literal (a collection)"},
};
static_assert(std::size(kTypeNames) == static_cast<std::size_t>(ODataType::StringCollection) + 1);

}  // namespace

std::string_view edm_name(ODataType type) {
  return kTypeNames[static_cast<std::size_t>(type)].edm;
}

std::string_view literal_form(ODataType type) {
  return kTypeNames[static_cast<std::size_t>(type)].literal;
}

namespace {

// 'it''s' -> it's; nullopt when the quotes are not closed or a lone quote stands inside.
std::optional<std::string> unquote(std::string_view text) {
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') return std::nullopt;
  std::string value;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    value += text[i];
    if (text[i] == '\'') {
      if (i + 2 >= text.size() || text[i + 1] != '\'') return std::nullopt;
      ++i;
    }
  }
  return value;
}

}  // namespace

std::optional<ODataValue> parse_literal(std::string_view text, ODataType type) {
  if (text == "null") return ODataValue{std::monostate{}};
  if (type == ODataType::String) {
    auto value = unquote(text);
    if (!value) return std::nullopt;
    return ODataValue{std::move(*value)};
  }
  // Other types are written bare; clients that quote them (a GUID or a code typed as text) are
  // understood too, since the property's type says what is meant.
  std::string bare(text);
  if (auto value = unquote(text)) bare = std::move(*value);
  switch (type) {
    case ODataType::Guid:
      for (auto& c : bare) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!is_guid(bare)) return std::nullopt;
      return ODataValue{bare};
    case ODataType::DateTimeOffset: {
      const auto at = parse_iso8601_utc(bare);
      if (!at) return std::nullopt;
      return ODataValue{format_iso8601_utc(*at)};
    }
    case ODataType::Int32:
    case ODataType::Int64: {
      std::int64_t v = 0;
      const auto [end, ec] = std::from_chars(bare.data(), bare.data() + bare.size(), v);
      if (ec != std::errc{} || end != bare.data() + bare.size()) return std::nullopt;
      return ODataValue{v};
    }
    case ODataType::Boolean:
      if (bare == "true") return ODataValue{true};
      if (bare == "false") return ODataValue{false};
      return std::nullopt;
    case ODataType::String:
    case ODataType::StringCollection:
      break;
  }
  return std::nullopt;
}

}  // namespace ato::sim
