// A small streaming JSON writer into a std::string: no intermediate document, so serialising an
// event or a push package costs one pass. Strings must be valid UTF-8 (everything we write either
// came through simdjson, which validates, or is produced by our own code).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ato {

// Appends `text` as a JSON string literal (with quotes), escaping `"`, `\` and control characters.
void append_json_string(std::string& out, std::string_view text);

// Re-indents compact JSON (as JsonWriter makes it) for files people read and edit.
std::string pretty_json(std::string_view compact, int indent = 2);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view name);

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(std::int64_t number);
  JsonWriter& value(int number) { return value(static_cast<std::int64_t>(number)); }
  JsonWriter& value(double number);
  JsonWriter& value(bool flag);
  JsonWriter& null();
  // Inserts already-serialised JSON (e.g. an event kept verbatim in the outbox).
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& field(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }

 private:
  void separate();
  std::string& out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

// One JSON object as text: `write` fills it between the braces (what every to_json of a message did
// by hand: a string, a writer on it, begin, fields, end).
template <typename Write>
std::string json_object_text(Write&& write, std::size_t reserve = 0) {
  std::string out;
  out.reserve(reserve);
  JsonWriter json(out);
  json.begin_object();
  write(json);
  json.end_object();
  return out;
}

}  // namespace ato
