#include "bridge/runtime/service_manager.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstring>

namespace ato::bridge {

namespace {

void notify(std::string_view state, std::string_view status) {
  const std::string message = fmt::format("{}\nSTATUS={}", state, status);
  const int result = sd_notify(0, message.c_str());
  // 0: not started by systemd (nothing to tell); > 0: told. A failure changes nothing for the bridge
  // but leaves systemd waiting for readiness until its timeout, so it is said.
  if (result < 0) spdlog::warn("could not notify systemd ({}): {}", state, std::strerror(-result));
}

}  // namespace

void notify_ready(std::string_view status) {
  notify("READY=1", status);
}

void notify_stopping(std::string_view status) {
  notify("STOPPING=1", status);
}

}  // namespace ato::bridge
