// CLI11's help, reflowed to the terminal's width (core/help_text.hpp): descriptions of programs,
// options and subcommands, and footers. Header-only so that only the two main.cpp files, which
// include CLI11 anyway, compile it.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <sstream>

#include "core/help_text.hpp"

namespace ato {

class WrappingFormatter : public CLI::Formatter {
 public:
  explicit WrappingFormatter(std::size_t width) : width_(width) { column_width(30); }

  std::string make_option_desc(const CLI::Option* option) const override {
    return reflow(CLI::Formatter::make_option_desc(option), description_width());
  }
  std::string make_subcommand(const CLI::App* sub) const override {
    std::stringstream out;
    CLI::detail::format_help(out, sub->get_display_name(true),
                             reflow(sub->get_description(), description_width()), get_column_width());
    return out.str();
  }
  std::string make_description(const CLI::App* app) const override {
    return reflow_block(CLI::Formatter::make_description(app));
  }
  std::string make_footer(const CLI::App* app) const override {
    return reflow_block(CLI::Formatter::make_footer(app));
  }

 private:
  std::size_t description_width() const { return width_ - get_column_width(); }
  // CLI11's blocks end with one newline; so do the reflowed ones.
  std::string reflow_block(std::string text) const {
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return text.empty() ? text : reflow(text, width_) + "\n";
  }
  std::size_t width_;
};

// Every command of `app` added after this call inherits the formatter.
inline void wrap_help_to_terminal(CLI::App& app) {
  app.formatter(std::make_shared<WrappingFormatter>(help_width()));
}

}  // namespace ato
