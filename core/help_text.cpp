#include "core/help_text.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace ato {

std::size_t help_width() {
  std::size_t width = 100;
  winsize size{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0)
    width = size.ws_col;
  else if (const char* columns = std::getenv("COLUMNS"); columns && std::atoi(columns) > 0)
    width = static_cast<std::size_t>(std::atoi(columns));
  return std::clamp<std::size_t>(width, 60, 120);
}

namespace {

// Greedy word wrap of one paragraph (or one indented line, keeping its indentation).
void wrap(std::string_view paragraph, std::size_t width, std::string& out) {
  const std::size_t indent = paragraph.find_first_not_of(' ');
  if (indent == std::string_view::npos) return;
  const std::string prefix(indent, ' ');
  std::istringstream words{std::string(paragraph.substr(indent))};
  std::string line = prefix, word;
  bool first = true;
  while (words >> word) {
    if (!first && line.size() + 1 + word.size() > width) {
      out += line + '\n';
      line = prefix + word;
    } else {
      line += (first ? "" : " ") + word;
    }
    first = false;
  }
  out += line;
}

}  // namespace

std::string reflow(std::string_view text, std::size_t width) {
  std::vector<std::string> blocks;  // paragraphs, indented lines and empty lines, in order
  bool joinable = false;            // the last block is a paragraph that the next line may continue
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (line.empty() || line.front() == ' ') {
      blocks.emplace_back(line);
      joinable = false;
    } else if (joinable) {
      blocks.back() += ' ';
      blocks.back() += line;
    } else {
      blocks.emplace_back(line);
      joinable = true;
    }
    if (end == text.size()) break;
    start = end + 1;
  }
  std::string out;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (i > 0) out += '\n';
    wrap(blocks[i], width, out);
  }
  return out;
}

}  // namespace ato
