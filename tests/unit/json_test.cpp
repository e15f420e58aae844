#include <doctest/doctest.h>

#include <string_view>

#include "core/json_reader.hpp"
#include "core/json_writer.hpp"

using namespace ato;

namespace {

std::string json_literal(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// What simdjson reads back from our writer's string literal.
std::string round_trip(std::string_view text) {
  simdjson::dom::parser parser;
  const std::string json = "{\"v\":" + json_literal(text) + "}";
  return std::string(JsonObjectReader(parse_json(parser, json), "").raw()["v"].get_string().value());
}

}  // namespace

TEST_CASE("strings are escaped exactly where JSON requires") {
  CHECK(json_literal("plain") == "\"plain\"");
  CHECK(json_literal("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_literal("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(json_literal(std::string("\x00\x01\x1f", 3)) == R"("\u0000\u0001\u001f")");
  CHECK(json_literal("\x7f/") == "\"\x7f/\"");      // DEL and slash need no escape
  CHECK(json_literal("Grüße 😀") == "\"Grüße 😀\"");  // UTF-8 passes through
}

TEST_CASE("every control character and Unicode round-trips through writer and simdjson") {
  std::string all_controls;
  for (int c = 0; c < 0x20; ++c) all_controls += static_cast<char>(c);
  CHECK(round_trip(all_controls) == all_controls);
  CHECK(round_trip("顧客注文 — \"quoted\" \\ back\\slash 😀 \u2028") ==
        "顧客注文 — \"quoted\" \\ back\\slash 😀 \u2028");
  const std::string long_text(1 << 20, 'x');
  CHECK(round_trip(long_text) == long_text);
}

TEST_CASE("a character needing an escape is found at every position, whatever surrounds it") {
  // The writer checks 8 bytes at a time: every offset within and across blocks, every byte value.
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool escaped = byte < 0x20 || c == '"' || c == '\\';
    for (std::size_t at = 0; at < 20; ++at) {
      CAPTURE(byte);
      CAPTURE(at);
      std::string text(20, 'a');
      text[at] = c;
      // Two-character escapes (\n, \", ...) add one byte, \u00XX adds five.
      const bool short_escape = std::string_view("\n\r\t\b\f\"\\").find(c) != std::string_view::npos;
      const std::size_t added = !escaped ? 0 : short_escape ? 1 : 5;
      CHECK(json_literal(text).size() == text.size() + 2 + added);
      if (byte < 0x80) CHECK(round_trip(text) == text);  // a lone byte above is not UTF-8
    }
  }
}

TEST_CASE("the writer places commas and colons") {
  std::string out;
  JsonWriter json(out);
  json.begin_object()
      .field("a", 1)
      .key("b")
      .begin_array()
      .value("x")
      .value(true)
      .null()
      .begin_object()
      .end_object()
      .end_array()
      .field("c", std::int64_t{-9223372036854775807 - 1})
      .field("d", 0.5)
      .key("e")
      .raw(R"({"k":1})")
      .end_object();
  CHECK(out == R"({"a":1,"b":["x",true,null,{}],"c":-9223372036854775808,"d":0.5,"e":{"k":1}})");
}

TEST_CASE("pretty printing keeps strings intact and re-parses to the same document") {
  const std::string compact = R"({"a":[1,{"b":"x,{:}\"y"}],"e":{},"f":[]})";
  const std::string pretty = pretty_json(compact);
  CHECK(pretty.find("\"x,{:}\\\"y\"") != std::string::npos);
  CHECK(pretty.find("\"e\": {}") != std::string::npos);
  simdjson::dom::parser p1, p2;
  CHECK(simdjson::minify(parse_json(p1, compact)) == simdjson::minify(parse_json(p2, pretty)));
}

TEST_CASE("the reader names the path of every problem") {
  simdjson::dom::parser parser;
  const auto root = JsonObjectReader(
      parse_json(parser,
                 R"({"s":"x","n":5,"neg":-1,"f":1.5,"big":18446744073709551615,"o":{"inner":[1,"two"]},
                             "empty":"","nul":null,"dup":1,"dup":2})"),
      "");
  CHECK(root.string("s") == "x");
  CHECK_THROWS_WITH_AS(root.string("n"), "n: expected string, got integer", JsonError);
  CHECK_THROWS_WITH_AS(root.string("missing"), "missing: missing (expected string)", JsonError);
  CHECK_THROWS_WITH_AS(root.string("empty"), "empty: must not be empty", JsonError);
  CHECK(root.integer("n", 0, 10) == 5);
  CHECK_THROWS_WITH_AS(root.integer("n", 6, 10), "n: must be between 6 and 10", JsonError);
  CHECK_THROWS_WITH_AS(root.integer("f", 0, 10), "f: expected integer, got number", JsonError);
  CHECK_THROWS_WITH_AS(root.integer("big", 0, 10), "big: must be between 0 and 10", JsonError);
  CHECK(root.number("n", 0, 10) == 5.0);
  CHECK(root.nullable_string("nul") == std::nullopt);
  CHECK(root.nullable_integer("nul", 0, 1) == std::nullopt);
  CHECK_THROWS_WITH_AS(root.object("o").array("inner").for_each_string([](std::string_view, std::size_t) {}),
                       "o.inner[0]: expected string, got integer", JsonError);
  CHECK_THROWS_WITH_AS(root.only_keys({"s", "n", "neg", "f", "big", "o", "empty", "nul"}),
                       "dup: unknown field", JsonError);
  CHECK_THROWS_WITH_AS(root.only_keys({"s", "n", "neg", "f", "big", "o", "empty", "nul", "dup"}),
                       "dup: given more than once", JsonError);
  CHECK_THROWS_WITH_AS(parse_json(parser, "{\"a\":"), doctest::Contains("not valid JSON"), JsonError);
  CHECK_THROWS_WITH_AS(parse_json(parser, "{\"a\":\"\xff\"}"), doctest::Contains("not valid JSON"),
                       JsonError);
}

TEST_CASE("the reader finds every field, whatever the object's size and the order of the keys") {
  // Up to 12 fields are listed at construction and searched there; larger objects are looked up
  // on simdjson's tape. Both paths must answer the same.
  for (const int count : {1, 11, 12, 13, 40}) {
    CAPTURE(count);
    std::string text = "{";
    std::vector<std::string> keys;
    for (int i = 0; i < count; ++i) {
      keys.push_back("k" + std::to_string(i));
      text += (i ? "," : "") + json_literal(keys.back()) + ":" + std::to_string(i);
    }
    simdjson::dom::parser parser;
    const auto root = JsonObjectReader(parse_json(parser, text + "}"), "");
    for (int i = count - 1; i >= 0; --i) CHECK(root.integer(keys[static_cast<std::size_t>(i)], 0, 99) == i);
    CHECK_FALSE(root.has("k"));
    CHECK_FALSE(root.has("k" + std::to_string(count)));
    if (count <= 64) {
      // The allowed keys in reverse order: each search wraps around the list.
      std::vector<std::string_view> reversed(keys.rbegin(), keys.rend());
      const std::span<const std::string_view> allowed(reversed);
      CHECK_NOTHROW(root.only_keys(allowed));
      if (count > 1)
        CHECK_THROWS_WITH_AS(root.only_keys(allowed.first(allowed.size() - 1)), "k0: unknown field",
                             JsonError);
    }
    const auto duplicated = parse_json(parser, text + ",\"k0\":99,\"\":7}");
    const auto dup_root = JsonObjectReader(duplicated, "top");
    CHECK(dup_root.integer("k0", 0, 99) == 0);  // the first of equal keys, as simdjson's at_key
    CHECK(dup_root.integer("", 0, 99) == 7);
  }
}
