// ato-bridge's command line: the only file that includes CLI11. It turns the command table
// (bridge/cli/command_table.cpp: one row per command, each command's options and run in its own
// file) into CLI11's commands, and adds what the command line says about itself: help (also
// `help COMMAND` and `help --all`), completion scripts, the closest command or option to a mistyped one.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <variant>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"
#include "bridge/cli/suggest.hpp"
#include "bridge/cli/version.hpp"
#include "core/cli_formatter.hpp"

namespace {

using namespace ato::bridge;

constexpr const char* kSystemConfig = "/etc/ato-bridge/bridge.json";

std::vector<std::string> subcommand_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// A bash completion script from the command line itself: for each command path, its subcommands and
// options, so the completion never tells anything the command line does not take. The values of
// positional arguments come from the table, where the command takes a fixed set (CLI11 keeps a
// validator's choices to itself).
void completion_cases(const CLI::App& at, const std::string& path,
                      const std::map<std::string, std::string>& positional_values, std::string& out) {
  const auto values = positional_values.find(path);
  std::string words = values == positional_values.end() ? "" : values->second;
  for (const auto* sub : at.get_subcommands([](const CLI::App*) { return true; }))
    words += sub->get_name() + " ";
  for (const auto* option : at.get_options())
    for (const auto& name : option->get_lnames()) words += "--" + name + " ";
  out += fmt::format("    \"{}\") words=\"{}\" ;;\n", path, words);
  for (const auto* sub : at.get_subcommands([](const CLI::App*) { return true; }))
    completion_cases(*sub, path + " " + sub->get_name(), positional_values, out);
}

std::string bash_completion(const CLI::App& app,
                            const std::map<std::string, std::string>& positional_values) {
  std::string cases;
  completion_cases(app, "ato-bridge", positional_values, cases);
  return fmt::format(R"bash(# bash completion for ato-bridge (ato-bridge completion bash)
_ato_bridge_words() {{
  local words=""
  case "$1" in
{}  esac
  echo "$words"
}}
_ato_bridge() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" path="ato-bridge" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="${{COMP_WORDS[i]}}"
    [[ "$word" != -* && " $(_ato_bridge_words "$path") " == *" $word "* ]] && path="$path $word"
  done
  COMPREPLY=($(compgen -W "$(_ato_bridge_words "$path")" -- "$cur"))
  if [[ "$cur" != -* && ${{#COMPREPLY[@]}} -eq 0 ]]; then COMPREPLY=($(compgen -f -- "$cur")); fi
}}
complete -F _ato_bridge ato-bridge
)bash",
                     cases);
}

// Every command's help, one after the other (`ato-bridge help --all`): the man page's COMMANDS section
// is made of it, so the page carries every command's options.
void all_help(const CLI::App& at, const std::string& path, std::ostream& out) {
  for (const auto* sub : at.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string here = path + " " + sub->get_name();
    out << "\n" << here << "\n" << sub->help(path) << "\n";
    all_help(*sub, here, out);
  }
}

// zsh runs the same completion through its bash compatibility (bashcompinit), so the two never differ.
std::string zsh_completion(const CLI::App& app, const std::map<std::string, std::string>& positional_values) {
  return "# zsh completion for ato-bridge (ato-bridge completion zsh): the bash completion, through zsh's\n"
         "# bashcompinit.  source <(ato-bridge completion zsh)   in ~/.zshrc, after compinit\n"
         "autoload -U +X compinit && compinit -u\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_completion(app, positional_values);
}

// Walks the command words (`config init`, `dead-letters list`) and names the first that is no
// command where one is required, with the closest one; CLI11 would only say it was not expected.
std::optional<std::string> unknown_command_advice(const CLI::App& app, int argc, char** argv) {
  const CLI::App* at = &app;
  std::string path = "ato-bridge";
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word.empty() || word.front() == '-') return std::nullopt;
    const auto names = subcommand_names(*at);
    if (names.empty()) return std::nullopt;
    if (std::find(names.begin(), names.end(), word) != names.end()) {
      at = at->get_subcommand(std::string(word));
      path += " " + std::string(word);
      continue;
    }
    if (at->get_require_subcommand_min() == 0) return std::nullopt;  // a positional argument
    const auto meant = closest(word, names);
    return meant ? fmt::format("unknown command '{}'; did you mean '{}'? ({} --help lists them)", word,
                               *meant, path)
                 : fmt::format("unknown command '{}' for {} (commands: {})", word, path, joined(names));
  }
  return std::nullopt;
}

// An option the command does not have: named, with the closest one it does have.
std::optional<std::string> unknown_option_advice(const CLI::App& app, const CLI::ParseError& e) {
  if (!dynamic_cast<const CLI::ExtrasError*>(&e)) return std::nullopt;
  const CLI::App* at = &app;
  for (;;) {
    const CLI::App* deeper = nullptr;
    for (const auto* sub : at->get_subcommands([](const CLI::App* s) { return s->parsed(); })) deeper = sub;
    if (!deeper) break;
    at = deeper;
  }
  std::vector<std::string> extras;
  for (const auto& extra : at->remaining()) extras.push_back(extra);
  if (extras.empty())
    for (const auto& extra : app.remaining()) extras.push_back(extra);
  for (const auto& extra : extras) {
    if (!extra.starts_with("--")) continue;
    const std::string typed = extra.substr(0, extra.find('='));
    std::vector<std::string> options;
    for (const auto* option : at->get_options())
      for (const auto& name : option->get_lnames()) options.push_back("--" + name);
    const auto meant = closest(typed, options);
    std::string where;  // the whole command path, e.g. "ato-bridge loadtest merge"
    for (const CLI::App* c = at; c != nullptr; c = c->get_parent())
      where = c->get_parent() ? " " + c->get_name() + where : "ato-bridge" + where;
    return meant
               ? fmt::format("unknown option '{}' for {}; did you mean '{}'?", typed, where, *meant)
               : fmt::format("unknown option '{}' for {} ({} --help lists its options)", typed, where, where);
  }
  return std::nullopt;
}

constexpr const char* kFooter =
    "Exit codes: 0 success, 1 failure (the message says what and where), 2 wrong command line.\n"
    "Configuration reference and examples: README.md, section 'Configuration'.";

CLI::Validator validator_of(const ValueCheck& check) {
  switch (check.kind) {
    case ValueCheck::Kind::ExistingFile:
      return CLI::ExistingFile;
    case ValueCheck::Kind::OneOf:
      return CLI::IsMember(check.choices);
    case ValueCheck::Kind::Range:
      return CLI::Range(check.min, check.max);
    case ValueCheck::Kind::Custom:
      break;
  }
  return CLI::Validator([problem = check.problem](std::string& text) { return problem(text); }, check.name);
}

// The table made into CLI11's commands; which command was given, and its run.
class CommandLine {
 public:
  CommandLine() : table_(command_table()) {
    ato::wrap_help_to_terminal(app);  // before any subcommand: they inherit it
    app.set_version_flag("--version,-V", [] { return version_text(); });
    app.require_subcommand(1);
    app.footer(kFooter);
    for (const auto& spec : table_) add_command(spec);
    for (auto& [app_of_command, spec] : spec_of_)
      if (spec->run && !app_of_command->get_subcommands([](const CLI::App*) { return true; }).empty())
        app_of_command->require_subcommand(0, 1);  // runs itself unless one of its commands is named
  }

  CLI::App app{
      "ato-bridge: connects S/4HANA Cloud's Adaptation Transport Organizer (ATO) to SAP Cloud ALM the way\n"
      "communication arrangement SAP_COM_0690 does: Export, Import, Status Change and Retry.",
      "ato-bridge"};

  // The configuration of the command that ran, when --config was left out; a problem in words.
  std::string default_config() {
    for (auto* cmd : takes_config_) {
      // A command that only leads to a subcommand of its own (loadtest merge) needs no configuration.
      if (!cmd->parsed() || !config_file_.empty() || !cmd->get_subcommands().empty()) continue;
      if (const char* env = std::getenv("ATO_BRIDGE_CONFIG"); env && *env) {
        config_file_ = env;
      } else if (std::error_code ec; std::filesystem::exists(kSystemConfig, ec)) {
        config_file_ = kSystemConfig;
      } else {
        return fmt::format(
            "{}: no configuration: give --config FILE, set ATO_BRIDGE_CONFIG, or put one at {} (ato-bridge "
            "config init writes one)",
            cmd->get_name(), kSystemConfig);
      }
    }
    return "";
  }

  std::string completion_script(const std::string& shell) const {
    return shell == "zsh" ? zsh_completion(app, positional_values_)
                          : bash_completion(app, positional_values_);
  }

  // Runs the deepest command given.
  int dispatch() {
    CLI::App* at = &app;
    for (;;) {
      CLI::App* deeper = nullptr;
      for (auto* sub : at->get_subcommands()) deeper = sub;
      if (!deeper) break;
      at = deeper;
    }
    const auto it = spec_of_.find(at);
    if (it == spec_of_.end() || !it->second->run) return kExitUsage;
    CommandContext context{std::cout, std::cerr, config_file_,
                           [this](const std::string& shell) { return completion_script(shell); }};
    // What a command throws is said the same way for every command, secrets redacted.
    std::string name;
    for (const auto& word : it->second->path) name += (name.empty() ? "" : " ") + word;
    try {
      return it->second->run(context);
    } catch (const std::exception& e) {
      return context.failed(name, e);
    }
  }

 private:
  void add_command(const CommandSpec& spec) {
    CLI::App* parent = &app;
    std::string path = "ato-bridge";
    for (std::size_t i = 0; i + 1 < spec.path.size(); ++i) {
      parent = parent->get_subcommand(spec.path[i]);
      path += " " + spec.path[i];
    }
    path += " " + spec.path.back();
    CLI::App* command = parent->add_subcommand(spec.path.back(), spec.help);
    spec_of_[command] = &spec;
    if (!spec.run) command->require_subcommand(1);
    std::map<std::string, CLI::Option*> by_name;
    for (const auto& o : spec.options) by_name[o.name] = add_option(command, o);
    for (const auto& o : spec.options)
      for (const auto& other : o.excludes) by_name.at(o.name)->excludes(by_name.at(other));
    for (const auto& o : spec.options)
      if (!o.name.starts_with("-"))
        for (const auto& check : o.checks)
          if (check.kind == ValueCheck::Kind::OneOf)
            for (const auto& choice : check.choices) positional_values_[path] += choice + " ";
    if (spec.validate)
      command->callback([validate = spec.validate, name = spec.path.back()] {
        if (const auto problem = validate(); !problem.empty()) throw CLI::ValidationError(name, problem);
      });
  }

  CLI::Option* add_option(CLI::App* command, const OptionSpec& o) {
    if (o.name == kConfigOption) {
      takes_config_.push_back(command);
      return command->add_option(
          "--config", config_file_,
          "Bridge configuration file (default: $ATO_BRIDGE_CONFIG, else " + std::string(kSystemConfig) + ")");
    }
    CLI::Option* added = std::visit(
        [&](auto target) -> CLI::Option* {
          using Target = decltype(target);
          if constexpr (std::is_same_v<Target, bool*>)
            return command->add_flag(o.name, *target, o.help);
          else if constexpr (std::is_same_v<Target, std::function<void(const std::string&)>>)
            return command->add_option_function<std::string>(o.name, target, o.help);
          else
            return command->add_option(o.name, *target, o.help);
        },
        o.target);
    if (o.required) added->required();
    for (const auto& check : o.checks) added->check(validator_of(check));
    if (o.show_default) added->capture_default_str();
    if (!o.default_text.empty()) added->default_str(o.default_text);
    return added;
  }

  std::vector<CommandSpec> table_;
  std::map<CLI::App*, const CommandSpec*> spec_of_;
  std::vector<CLI::App*> takes_config_;
  std::string config_file_;                               // every command's --config (one command runs)
  std::map<std::string, std::string> positional_values_;  // by command path: for completion
};

}  // namespace

int main(int argc, char** argv) {
  CommandLine cli;
  if (argc == 3 && std::string_view(argv[1]) == "help" && std::string_view(argv[2]) == "--all") {
    all_help(cli.app, "ato-bridge", std::cout);
    return kExitOk;
  }
  // `ato-bridge help [COMMAND...]` is `ato-bridge [COMMAND...] --help`, as git and kubectl take it.
  std::vector<char*> args(argv, argv + argc);
  static char help_flag[] = "--help";
  if (argc >= 2 && std::string_view(argv[1]) == "help") {
    args.erase(args.begin() + 1);
    args.push_back(help_flag);
    argc = static_cast<int>(args.size());
    argv = args.data();
  }
  if (const auto unknown = unknown_command_advice(cli.app, argc, argv)) {
    std::cerr << "ato-bridge: " << *unknown << "\n";
    return kExitUsage;
  }
  try {
    cli.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (const auto advice = unknown_option_advice(cli.app, e)) {
      std::cerr << "ato-bridge: " << *advice << "\n";
      return kExitUsage;
    }
    const int code = cli.app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (const auto problem = cli.default_config(); !problem.empty()) {
    std::cerr << "ato-bridge " << problem << "\n";
    return kExitUsage;
  }
  return cli.dispatch();
}
