// "Did you mean": the closest of the names a command knows to what the user typed, so a typo is
// answered with the word meant, not only with what was not expected.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ato::bridge {

// Edits (insertions, deletions, substitutions, swaps of neighbours) from `a` to `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `typed`, when it is near enough to be what was meant (at most 2 edits,
// and fewer than half of the word).
std::optional<std::string> closest(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace ato::bridge
