// Help text that fits the terminal: paragraphs reflowed to a width, for both programs' --help.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ato {

// The width --help is written for: the terminal's columns when standard output is one, else
// $COLUMNS, else 100; never below 60 (narrower help would be all wrapping) nor above 120.
std::size_t help_width();

// Reflows `text` to lines of at most `width` characters (a longer word stands alone). Lines that
// follow each other form a paragraph and are joined; an empty line separates paragraphs; a line that
// starts with a space (an example, a list) keeps its own line and its indentation.
std::string reflow(std::string_view text, std::size_t width);

}  // namespace ato
