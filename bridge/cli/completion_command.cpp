// `ato-bridge completion bash|zsh`: the completion script, made from the command line itself.
#include <ostream>

#include "bridge/cli/command_context.hpp"
#include "bridge/cli/command_spec.hpp"

namespace ato::bridge {

CommandSpec completion_command() {
  auto shell = std::make_shared<std::string>();
  return {{"completion"},
          "Print a completion script for every command and option (made from this very command line):\n"
          "  source <(ato-bridge completion bash)   or save it under /etc/bash_completion.d/\n"
          "  source <(ato-bridge completion zsh)    in ~/.zshrc",
          {option("SHELL", shell.get(), "bash or zsh").needed().check(ValueCheck::one_of({"bash", "zsh"}))},
          [shell](CommandContext& c) {
            c.out << c.completion_script(*shell);
            return kExitOk;
          },
          {}};
}

}  // namespace ato::bridge
