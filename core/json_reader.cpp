#include "core/json_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "core/time.hpp"

namespace ato {

JsonError::JsonError(std::string path, std::string problem)
    : std::runtime_error(path.empty() ? problem : path + ": " + problem),
      path_(std::move(path)),
      problem_(std::move(problem)) {}

std::string join_path(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  std::string out;
  out.reserve(parent.size() + 1 + key.size());
  out.append(parent).append(".").append(key);
  return out;
}

std::string index_path(std::string_view parent, std::size_t index) {
  // Built by hand: every element of every array gets its path, and fmt's parsing showed (callgrind).
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, index).ptr;
  std::string out;
  out.reserve(parent.size() + static_cast<std::size_t>(end - digits) + 2);
  out.append(parent).append("[").append(digits, end).append("]");
  return out;
}

std::string_view json_type_name(simdjson::dom::element_type type) {
  using T = simdjson::dom::element_type;
  switch (type) {
    case T::ARRAY:
      return "array";
    case T::OBJECT:
      return "object";
    case T::INT64:
    case T::UINT64:
      return "integer";
    case T::DOUBLE:
      return "number";
    case T::STRING:
      return "string";
    case T::BOOL:
      return "boolean";
    case T::NULL_VALUE:
      return "null";
  }
  return "unknown";
}

namespace {

[[noreturn]] void throw_type(const std::string& path, std::string_view expected, simdjson::dom::element got) {
  throw JsonError(path, fmt::format("expected {}, got {}", expected, json_type_name(got.type())));
}

// `path_of` builds the path only for an error message: most values are fine.
template <typename PathOf>
std::int64_t read_integer(simdjson::dom::element el, const PathOf& path_of, std::int64_t min,
                          std::int64_t max) {
  std::int64_t value;
  if (el.type() == simdjson::dom::element_type::INT64) {
    value = el.get_int64().value_unsafe();
  } else if (el.type() == simdjson::dom::element_type::UINT64) {
    throw JsonError(path_of(), fmt::format("must be between {} and {}", min, max));
  } else {
    throw_type(path_of(), "integer", el);
  }
  if (value < min || value > max)
    throw JsonError(path_of(), fmt::format("must be between {} and {}", min, max));
  return value;
}

// An object or array reader for a key that may be absent (the reader checks the type).
template <typename Reader>
std::optional<Reader> reader_if_present(std::optional<simdjson::dom::element> element, std::string path) {
  if (!element) return std::nullopt;
  return Reader(*element, std::move(path));
}

}  // namespace

simdjson::dom::element parse_json(simdjson::dom::parser& parser, std::string_view json) {
  // A UTF-8 byte order mark, as some Windows editors save a downloaded service key: RFC 8259 lets a
  // parser ignore it, and simdjson would call the document "improper structure".
  if (json.starts_with("\xEF\xBB\xBF")) json.remove_prefix(3);
  simdjson::dom::element root;
  if (auto error = parser.parse(json.data(), json.size()).get(root))
    throw JsonError("", fmt::format("not valid JSON: {}", simdjson::error_message(error)));
  return root;
}

JsonObjectReader::JsonObjectReader(simdjson::dom::element element, std::string path)
    : path_(std::move(path)) {
  if (element.get_object().get(object_)) throw_type(path_, "object", element);
  for (auto field : object_) {
    if (field_count_ < kListedFields)
      fields_[field_count_] = {field.key.data(), static_cast<std::uint32_t>(field.key.size()), field.value};
    ++field_count_;
  }
}

std::optional<simdjson::dom::element> JsonObjectReader::find(std::string_view key) const {
  if (listed()) {
    // The first of equal keys, as simdjson's at_key; only_keys rejects a key given twice.
    for (std::size_t i = 0; i < field_count_; ++i) {
      const Field& field = fields_[i];
      if (field.size == key.size() &&
          (key.empty() || (field.key[0] == key[0] && std::memcmp(field.key, key.data(), key.size()) == 0)))
        return field.value;
    }
    return std::nullopt;
  }
  simdjson::dom::element el;
  if (object_.at_key(key).get(el)) return std::nullopt;
  return el;
}

bool JsonObjectReader::has(std::string_view key) const {
  return find(key).has_value();
}

simdjson::dom::element JsonObjectReader::require(std::string_view key, std::string_view expected) const {
  auto el = find(key);
  if (!el) throw JsonError(path_of(key), fmt::format("missing (expected {})", expected));
  return *el;
}

std::string_view JsonObjectReader::string(std::string_view key) const {
  return string_in(key, require(key, "string"));
}

std::string_view JsonObjectReader::string_in(std::string_view key, simdjson::dom::element el) const {
  std::string_view value;
  if (el.get_string().get(value)) throw_type(path_of(key), "string", el);
  if (value.empty()) throw JsonError(path_of(key), "must not be empty");
  return value;
}

std::optional<std::string_view> JsonObjectReader::optional_string(std::string_view key) const {
  auto el = find(key);
  if (!el) return std::nullopt;
  return string_in(key, *el);
}

std::optional<std::string_view> JsonObjectReader::nullable_string(std::string_view key) const {
  auto el = find(key);
  if (!el || el->is_null()) return std::nullopt;
  return string_in(key, *el);
}

std::optional<std::int64_t> JsonObjectReader::nullable_integer(std::string_view key, std::int64_t min,
                                                               std::int64_t max) const {
  auto el = find(key);
  if (!el || el->is_null()) return std::nullopt;
  return integer_in(key, *el, min, max);
}

double JsonObjectReader::number(std::string_view key, double min, double max) const {
  auto el = require(key, "number");
  double value;
  if (el.get_double().get(value)) throw_type(path_of(key), "number", el);
  if (!(value >= min && value <= max))
    throw JsonError(path_of(key), fmt::format("must be between {} and {}", min, max));
  return value;
}

std::int64_t JsonObjectReader::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  return integer_in(key, require(key, "integer"), min, max);
}

std::int64_t JsonObjectReader::integer_in(std::string_view key, simdjson::dom::element el, std::int64_t min,
                                          std::int64_t max) const {
  return read_integer(
      el, [&] { return path_of(key); }, min, max);
}

std::optional<std::int64_t> JsonObjectReader::optional_integer(std::string_view key, std::int64_t min,
                                                               std::int64_t max) const {
  auto el = find(key);
  if (!el) return std::nullopt;
  return integer_in(key, *el, min, max);
}

bool JsonObjectReader::boolean(std::string_view key) const {
  auto el = require(key, "boolean");
  bool value;
  if (el.get_bool().get(value)) throw_type(path_of(key), "boolean", el);
  return value;
}

std::optional<bool> JsonObjectReader::optional_boolean(std::string_view key) const {
  if (!has(key)) return std::nullopt;
  return boolean(key);
}

JsonObjectReader JsonObjectReader::object(std::string_view key) const {
  return JsonObjectReader(require(key, "object"), path_of(key));
}

std::optional<JsonObjectReader> JsonObjectReader::optional_object(std::string_view key) const {
  return reader_if_present<JsonObjectReader>(find(key), path_of(key));
}

JsonArrayReader JsonObjectReader::array(std::string_view key) const {
  return JsonArrayReader(require(key, "array"), path_of(key));
}

std::optional<JsonArrayReader> JsonObjectReader::optional_array(std::string_view key) const {
  return reader_if_present<JsonArrayReader>(find(key), path_of(key));
}

std::int64_t JsonObjectReader::timestamp(std::string_view key) const {
  auto el = require(key, "ISO-8601 UTC timestamp");
  std::string_view text;
  if (el.get_string().get(text)) throw_type(path_of(key), "ISO-8601 UTC timestamp string", el);
  auto ms = parse_iso8601_utc(text);
  if (!ms) throw JsonError(path_of(key), "expected ISO-8601 UTC timestamp like 2026-11-22T08:15:00.000Z");
  return *ms;
}

void JsonObjectReader::unique_keys() const {
  std::vector<std::string_view> keys;
  for (auto field : object_) keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 1; i < keys.size(); ++i)
    if (keys[i] == keys[i - 1]) throw JsonError(path_of(keys[i]), "given more than once");
}

void JsonObjectReader::only_keys(std::span<const std::string_view> allowed) const {
  check_keys(allowed, UnknownKey::Refuse);
}

std::size_t JsonObjectReader::unknown_keys(std::span<const std::string_view> known) const {
  return check_keys(known, UnknownKey::Count);
}

std::size_t JsonObjectReader::check_keys(std::span<const std::string_view> allowed,
                                         UnknownKey unknown) const {
  std::size_t unknown_count = 0;
  // A bit per allowed key: no allocation on this hot path (every event is checked).
  if (allowed.size() > 64) throw std::logic_error("only_keys: at most 64 allowed keys");
  std::uint64_t seen = 0;
  // Documents mostly list their fields in the contract's order: the search for each key starts
  // after the previous key's place, so it usually ends at its first comparison.
  std::size_t from = 0;
  const auto check = [&](std::string_view key) {
    std::size_t at = allowed.size();
    for (std::size_t n = 0, i = from; n < allowed.size(); ++n, ++i) {
      if (i == allowed.size()) i = 0;
      if (allowed[i] == key) {
        at = i;
        break;
      }
    }
    if (at == allowed.size()) {
      if (unknown == UnknownKey::Refuse) throw JsonError(path_of(key), "unknown field");
      ++unknown_count;
      return;
    }
    const std::uint64_t bit = std::uint64_t{1} << at;
    if (seen & bit) throw JsonError(path_of(key), "given more than once");
    seen |= bit;
    from = at + 1;
  };
  if (listed()) {
    for (std::size_t i = 0; i < field_count_; ++i) check({fields_[i].key, fields_[i].size});
  } else {
    for (auto field : object_) check(field.key);
  }
  return unknown_count;
}

JsonArrayReader::JsonArrayReader(simdjson::dom::element element, std::string path) : path_(std::move(path)) {
  if (element.get_array().get(array_)) throw_type(path_, "array", element);
}

std::string_view JsonArrayReader::string_at(simdjson::dom::element element, std::size_t index) const {
  std::string_view value;
  if (element.get_string().get(value)) throw_type(path_of(index), "string", element);
  return value;
}

}  // namespace ato
