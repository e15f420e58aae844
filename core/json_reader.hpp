// Strict reading of JSON documents parsed by simdjson (DOM): every accessor names the path of the
// field it reads, so an error says exactly where it is (`events[3].target.client: expected string`).
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/enum_names.hpp"

namespace ato {

// A document that does not match its contract. what() is "<path>: <problem>".
class JsonError : public std::runtime_error {
 public:
  JsonError(std::string path, std::string problem);
  const std::string& path() const { return path_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string path_;
  std::string problem_;
};

std::string join_path(std::string_view parent, std::string_view key);
std::string index_path(std::string_view parent, std::size_t index);

class JsonArrayReader;

class JsonObjectReader {
 public:
  // Throws JsonError(path, "expected object") when `element` is not an object.
  JsonObjectReader(simdjson::dom::element element, std::string path);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return join_path(path_, key); }
  bool has(std::string_view key) const;

  std::string_view string(std::string_view key) const;  // present, a string, not empty
  std::optional<std::string_view> optional_string(std::string_view key) const;
  // Absent or null: nullopt. Optional settings are spelled out as null in generated files.
  std::optional<std::string_view> nullable_string(std::string_view key) const;
  std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  std::optional<std::int64_t> nullable_integer(std::string_view key, std::int64_t min,
                                               std::int64_t max) const;
  double number(std::string_view key, double min, double max) const;
  std::optional<std::int64_t> optional_integer(std::string_view key, std::int64_t min,
                                               std::int64_t max) const;
  bool boolean(std::string_view key) const;
  std::optional<bool> optional_boolean(std::string_view key) const;
  JsonObjectReader object(std::string_view key) const;
  std::optional<JsonObjectReader> optional_object(std::string_view key) const;
  JsonArrayReader array(std::string_view key) const;
  std::optional<JsonArrayReader> optional_array(std::string_view key) const;
  // The ISO-8601 UTC timestamp at `key`, as epoch milliseconds.
  std::int64_t timestamp(std::string_view key) const;

  // Rejects keys not listed and keys given twice: a typo or an ambiguity is an error, not a default.
  void only_keys(std::initializer_list<std::string_view> allowed) const {
    only_keys(std::span<const std::string_view>(allowed.begin(), allowed.size()));
  }
  void only_keys(std::span<const std::string_view> allowed) const;
  // For a peer's answers read tolerantly: the known keys at most once each; how many others there
  // were (a newer peer's additions, counted, not refused).
  std::size_t unknown_keys(std::initializer_list<std::string_view> known) const {
    return unknown_keys(std::span<const std::string_view>(known.begin(), known.size()));
  }
  std::size_t unknown_keys(std::span<const std::string_view> known) const;
  // For documents whose other fields are allowed (SAP's service keys): no key given twice, so the
  // value used is never just the first of two.
  void unique_keys() const;
  simdjson::dom::object raw() const { return object_; }

 private:
  enum class UnknownKey { Refuse, Count };
  std::size_t check_keys(std::span<const std::string_view> allowed, UnknownKey unknown) const;
  std::optional<simdjson::dom::element> find(std::string_view key) const;
  simdjson::dom::element require(std::string_view key, std::string_view expected) const;
  // The value `el` found at `key`, checked: one lookup serves both required and optional fields.
  std::string_view string_in(std::string_view key, simdjson::dom::element el) const;
  std::int64_t integer_in(std::string_view key, simdjson::dom::element el, std::int64_t min,
                          std::int64_t max) const;

  // The object's fields, listed once from simdjson's tape at construction: a lookup then compares
  // lengths in a small array instead of walking the tape field by field (callgrind: lookups were
  // ~10% of the simulator's work per push request). Larger objects are looked up on the tape.
  struct Field {
    const char* key;
    std::uint32_t size;
    simdjson::dom::element value;
  };
  static constexpr std::size_t kListedFields = 12;
  bool listed() const { return field_count_ <= kListedFields; }

  simdjson::dom::object object_;
  std::array<Field, kListedFields> fields_{};
  std::size_t field_count_ = 0;
  std::string path_;
};

class JsonArrayReader {
 public:
  JsonArrayReader(simdjson::dom::element element, std::string path);
  std::size_t size() const { return array_.size(); }
  const std::string& path() const { return path_; }
  std::string path_of(std::size_t index) const { return index_path(path_, index); }

  // Calls f(JsonObjectReader, index) for each element; an element that is not an object is an error.
  template <typename F>
  void for_each_object(F&& f) const {
    std::size_t index = 0;
    for (auto element : array_) {
      f(JsonObjectReader(element, path_of(index)), index);
      ++index;
    }
  }
  // Calls f(std::string_view, index) for each element; an element that is not a string is an error.
  template <typename F>
  void for_each_string(F&& f) const {
    std::size_t index = 0;
    for (auto element : array_) {
      f(string_at(element, index), index);
      ++index;
    }
  }

 private:
  std::string_view string_at(simdjson::dom::element element, std::size_t index) const;
  simdjson::dom::array array_;
  std::string path_;
};

// What a JSON value is, for messages ("expected string, got number").
std::string_view json_type_name(simdjson::dom::element_type type);

// Parses `json` with `parser` (which owns the DOM; keep it alive while readers are used).
// Throws JsonError("", "not valid JSON: ...") on a syntax error.
simdjson::dom::element parse_json(simdjson::dom::parser& parser, std::string_view json);

// Reads the string at `key` and maps it through `names`; anything else is an error naming the choices.
template <typename E, std::size_t N>
E read_enum(const JsonObjectReader& object, std::string_view key, const EnumNames<E, N>& names) {
  const auto text = object.string(key);
  if (auto value = value_of(names, text)) return *value;
  throw JsonError(object.path_of(key), "expected " + one_of(names));
}

}  // namespace ato
