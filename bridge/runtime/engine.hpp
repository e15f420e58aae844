// The running bridge: the jobs of the four outbound services on their schedules, the push workers
// and the state status and metrics report. Everything runs as coroutines on one io_context thread;
// the outbox is the only shared state, so a crash anywhere loses nothing.
//
//   export / import / status-change job (every run_every): collect the feed -> outbox, wake pushers
//   retry job (every run_every): rescue expired leases, let due retryable events go again, probe a
//                                pause, delete old delivered events
//   push workers (push.connections): claim a package -> push -> settle, as long as there is work
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "bridge/config.hpp"
#include "bridge/outbox/outbox.hpp"
#include "bridge/runtime/engine_state.hpp"
#include "bridge/runtime/outbox_view.hpp"

namespace boost::asio {
class io_context;
}

namespace ato::bridge {

class Engine {
 public:
  // Throws std::runtime_error when the TLS settings cannot be used (e.g. an unreadable CA file).
  // `record`: append every collected event to this NDJSON recording (run --record).
  Engine(boost::asio::io_context& context, const BridgeConfig& config, Outbox& outbox,
         std::optional<std::filesystem::path> record = {});
  ~Engine();

  // Rescues what a previous run left in flight, then starts the jobs (each runs once at once) and
  // the workers.
  void start();
  // Runs the job now instead of at its next slot, for every tenant or the one named. Returns how many
  // jobs it woke (0: inactive, or no such tenant).
  int tick(Job job, const std::optional<std::string>& tenant = std::nullopt);
  // Graceful stop: collecting stops at once; pushes in flight get `grace` to finish, then they are
  // cancelled and their events released without spending an attempt. `done` runs when all is quiet.
  void stop(std::chrono::milliseconds grace, std::function<void()> done);

  // Stop now: like stop(), but nothing gets time to finish; requests in progress are cancelled.
  void abort();
  // Whether any of the engine's coroutines is still alive.
  bool busy() const;

  const EngineState& state();
  // Reads what /status and /metrics show of the outbox on the outbox thread, behind the work queued
  // before it, and hands it to `then` on the engine's thread: the view, or null and why it could not
  // be read. The network thread never touches the outbox itself.
  void read_outbox_view(std::function<void(const OutboxView* view, const std::string& error)> then);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ato::bridge
