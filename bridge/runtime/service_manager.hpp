// Telling systemd (Type=notify) where the bridge is in its life: ready once the outbox is open, the
// admin endpoint listens and the jobs are scheduled; stopping when a signal arrives. Outside
// systemd (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <string_view>

namespace ato::bridge {

void notify_ready(std::string_view status);
void notify_stopping(std::string_view status);

}  // namespace ato::bridge
