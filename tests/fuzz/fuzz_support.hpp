// Shared by the fuzz targets: the input as text, and a round-trip check that aborts (a finding) when
// what we serialise from a parsed document is refused by our own parser or reads back differently.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/json_reader.hpp"

namespace ato::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what);
  std::abort();
}

// parse(serialise(x)) must succeed and equal x: `Parse` throws on refusal, `same` compares.
template <typename T, typename Serialise, typename Parse, typename Same>
void round_trip(const T& parsed, Serialise serialise, Parse parse, Same same, const char* what) {
  T again;
  try {
    again = parse(serialise(parsed));
  } catch (...) {
    finding(what);
  }
  if (!same(parsed, again)) finding(what);
}

// The usual target: a document the parser refuses (JsonError) is fine; one it accepts must read
// back the same from what we write of it.
template <typename Parse, typename Serialise, typename Same>
void parse_and_round_trip(std::string_view input, Parse parse, Serialise serialise, Same same,
                          const char* what) {
  decltype(parse(input)) parsed;
  try {
    parsed = parse(input);
  } catch (const JsonError&) {
    return;
  }
  round_trip(parsed, serialise, parse, same, what);
}

}  // namespace ato::fuzz
