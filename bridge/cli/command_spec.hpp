// A command of ato-bridge as data: its path, help, options (each bound to a variable the command
// owns) and what it runs. Each command's file returns its spec; bridge/cli/command_table.cpp lists
// them, one row each, and bridge/cli/command_line.cpp, the only file that includes CLI11, turns the
// table into the command line. So a command file compiles fast and adding one is a file and a row.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace ato::bridge {

struct CommandContext;  // what every command shares: bridge/cli/command_context.hpp

// A check of an option's value, shown in --help as CLI11 shows its validators.
struct ValueCheck {
  enum class Kind { ExistingFile, OneOf, Range, Custom } kind = Kind::Custom;
  std::vector<std::string> choices;  // OneOf
  std::int64_t min = 0, max = 0;     // Range
  std::string name;                  // Custom: the value's name in --help, e.g. DURATION
  std::function<std::string(const std::string& value)> problem;  // Custom: "" when fine

  static ValueCheck existing_file() { return {Kind::ExistingFile, {}, 0, 0, {}, {}}; }
  static ValueCheck one_of(std::vector<std::string> choices) {
    return {Kind::OneOf, std::move(choices), 0, 0, {}, {}};
  }
  static ValueCheck range(std::int64_t min, std::int64_t max) { return {Kind::Range, {}, min, max, {}, {}}; }
  static ValueCheck custom(std::string name, std::function<std::string(const std::string&)> problem) {
    return {Kind::Custom, {}, 0, 0, std::move(name), std::move(problem)};
  }
};

// A value like 5m, 30s or 1h.
ValueCheck duration_check();

// What an option writes into: a variable of the command's arguments (a bool is a flag), or a function
// that takes the text.
using OptionTarget = std::variant<bool*, int*, std::int64_t*, std::string*, std::optional<std::string>*,
                                  std::optional<int>*, std::optional<std::int64_t>*,
                                  std::vector<std::string>*, std::function<void(const std::string&)>>;

struct OptionSpec {
  std::string name;  // "--tenant", or a positional argument's NAME
  OptionTarget target;
  std::string help;
  bool required = false;
  bool show_default = false;  // --help shows the variable's value as the default
  std::string default_text;   // --help shows this as the default (function targets)
  std::vector<ValueCheck> checks;
  std::vector<std::string> excludes;  // options of the same command that cannot go with this one

  OptionSpec& needed() {
    required = true;
    return *this;
  }
  OptionSpec& with_default() {
    show_default = true;
    return *this;
  }
  OptionSpec& shown_default(std::string text) {
    default_text = std::move(text);
    return *this;
  }
  OptionSpec& check(ValueCheck c) {
    checks.push_back(std::move(c));
    return *this;
  }
  OptionSpec& excluding(std::string other) {
    excludes.push_back(std::move(other));
    return *this;
  }
};

inline OptionSpec option(std::string name, OptionTarget target, std::string help) {
  return {std::move(name), std::move(target), std::move(help), false, false, {}, {}, {}};
}
// --config FILE, filled from $ATO_BRIDGE_CONFIG or /etc/ato-bridge/bridge.json when left out.
OptionSpec config_option();
inline constexpr const char* kConfigOption = "--config";

struct CommandSpec {
  std::vector<std::string> path;  // {"dead-letters", "list"}
  std::string help;
  std::vector<OptionSpec> options;
  // Empty: a group, which needs one of its commands. A command with commands of its own (loadtest,
  // loadtest merge) runs itself when none is named. What it throws is said as "ato-bridge <path>:
  // error: <what, secrets redacted>", exit code 1 (CommandContext::failed).
  std::function<int(CommandContext&)> run;
  // After parsing, before run: "" or what is wrong with the combination given (exit 2).
  std::function<std::string()> validate;
};

inline CommandSpec group(std::vector<std::string> path, std::string help) {
  return {std::move(path), std::move(help), {}, {}, {}};
}

// Every command, in the order --help lists them (command_table.cpp).
std::vector<CommandSpec> command_table();

}  // namespace ato::bridge
