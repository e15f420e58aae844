// ato-bridge's commands, one row each, in the order --help lists them (a group before its
// commands). Each row names the function in the command's own file that returns its spec
// (bridge/cli/command_spec.hpp); adding a command is that file and one row here.
#include "bridge/cli/command_spec.hpp"

// clang-format off
#define ATO_BRIDGE_COMMANDS(ROW) \
  ROW(version_command) \
  ROW(completion_command) \
  ROW(config_group) \
  ROW(config_init_command) \
  ROW(config_check_command) \
  ROW(run_command) \
  ROW(check_command) \
  ROW(status_command) \
  ROW(tick_command) \
  ROW(register_command) \
  ROW(unregister_command) \
  ROW(replay_command) \
  ROW(loadtest_command) \
  ROW(loadtest_merge_command) \
  ROW(dead_letters_group) \
  ROW(dead_letters_list_command) \
  ROW(dead_letters_show_command) \
  ROW(dead_letters_requeue_command) \
  ROW(cursor_group) \
  ROW(cursor_show_command) \
  ROW(cursor_set_command) \
  ROW(tenant_group) \
  ROW(tenant_rename_command) \
  ROW(outbox_group) \
  ROW(outbox_check_command) \
  ROW(outbox_salvage_command) \
  /* a new command's row goes above this line */
// clang-format on

namespace ato::bridge {

#define ATO_DECLARE_COMMAND(name) CommandSpec name();
ATO_BRIDGE_COMMANDS(ATO_DECLARE_COMMAND)
#undef ATO_DECLARE_COMMAND

std::vector<CommandSpec> command_table() {
#define ATO_COMMAND_ROW(name) name(),
  return {ATO_BRIDGE_COMMANDS(ATO_COMMAND_ROW)};
#undef ATO_COMMAND_ROW
}

}  // namespace ato::bridge
