// Enums that travel as text: one table per enum gives both directions and the list for messages.
// Reading one out of a JSON document is read_enum in core/json_reader.hpp (this header stays free of
// simdjson: core/event.hpp includes it in most translation units).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ato {

template <typename E, std::size_t N>
using EnumNames = std::array<std::pair<E, std::string_view>, N>;

template <typename E, std::size_t N>
constexpr std::string_view name_of(const EnumNames<E, N>& names, E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

template <typename E, std::size_t N>
constexpr std::optional<E> value_of(const EnumNames<E, N>& names, std::string_view name) {
  for (const auto& [v, n] : names)
    if (n == name) return v;
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string one_of(const EnumNames<E, N>& names) {
  std::string out = "one of ";
  for (std::size_t i = 0; i < N; ++i) out.append(i ? ", " : "").append(names[i].second);
  return out;
}

}  // namespace ato
