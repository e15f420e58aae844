// The real bridge when its outbox file is harmed: deleted or damaged while it runs, emptied while it
// is stopped. Never a silent fresh start, never a moving cursor on a file that cannot keep what it
// says: not ready, said once, counted, and refused at the next start until an operator decides.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>
#include <csignal>

#include <fstream>
#include <map>

#include "tests/support/bridge_process.hpp"
#include "tests/support/sim_queries.hpp"

using namespace ato;
using namespace ato::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A landscape whose events keep coming for a while (60 transports at 20,000x real time).
SimProcess busy_landscape() {
  return SimProcess({"--generate-count", "60", "--time-scale", "20000", "--seed", "7", "--start-time",
                     "2026-11-20T08:00:00Z"});
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

bool ready(BridgeProcess& bridge) {
  return bridge.admin("/readyz").status == 200;
}

}  // namespace

TEST_CASE("an outbox deleted while the bridge runs: collecting stops, not ready, and no fresh start after") {
  auto sim = busy_landscape();
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted > 0; }, 20s), bridge.log());
  fs::remove(bridge.outbox_file());
  REQUIRE_MESSAGE(eventually([&] { return !ready(bridge); }, 10s), bridge.log());
  const auto readiness = bridge.admin("/readyz").body;
  CHECK(readiness.find("outbox damaged") != std::string::npos);
  CHECK(readiness.find("was deleted while the bridge ran") != std::string::npos);
  CHECK(bridge.admin("/metrics").body.find("ato_bridge_outbox_damaged 1") != std::string::npos);
  CHECK(bridge.log().find("/proc/") != std::string::npos);  // where the open file can still be copied from
  const auto said = occurrences(bridge.log(), "the outbox is damaged");
  std::this_thread::sleep_for(2s);
  CHECK(said == 1);
  CHECK(occurrences(bridge.log(), "the outbox is damaged") == 1);
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 1);  // stopped, and says the outbox was lost
  // The next start would begin at an empty outbox: refused, with what to do.
  const auto again = bridge.cli({"run"});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("but an outbox lived there") != std::string::npos);
  CHECK(again.err.find("--new-outbox") != std::string::npos);
  CHECK_FALSE(fs::exists(bridge.outbox_file()));
}

TEST_CASE("an outbox emptied while the bridge is stopped: status and check leave it be, run refuses") {
  auto sim = busy_landscape();
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted > 0; }, 20s), bridge.log());
  bridge.kill(SIGTERM);
  REQUIRE(bridge.wait(10s).exit_code == 0);
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(bridge.outbox_file().string() + suffix);
  fs::resize_file(bridge.outbox_file(), 0);

  const auto status = bridge.cli({"status"});
  CHECK(status.exit_code == 1);
  CHECK(status.err.find("is empty, but an outbox lived there") != std::string::npos);
  const auto check = bridge.cli({"check"});
  CHECK(check.exit_code == 1);
  CHECK(check.out.find("FAIL  outbox") != std::string::npos);
  CHECK(fs::file_size(bridge.outbox_file()) == 0);  // read-only commands wrote nothing into it
  const auto run = bridge.cli({"run"});
  CHECK(run.exit_code == 1);
  CHECK(run.err.find("is empty, but an outbox lived there") != std::string::npos);
  CHECK(fs::file_size(bridge.outbox_file()) == 0);
  // On purpose: a new start.
  bridge.start({"--new-outbox"});
  CHECK(eventually([&] { return ready(bridge); }, 10s));
  CHECK(bridge.cli({"check"}).out.find("integrity checked") != std::string::npos);
}

TEST_CASE("damaged pages under a running bridge: it stops collecting, says so once, and is not ready") {
  auto sim = busy_landscape();
  BridgeProcess bridge(sim);
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted > 200; }, 20s), bridge.log());
  // Everything still sits in the WAL: copy it back into the file (as the bridge's checkpointer does
  // once it is large), so later reads come from the file's pages.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(bridge.outbox_file().c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  CHECK(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  const auto size = fs::file_size(bridge.outbox_file());
  REQUIRE(size > 8 * 4096);
  {  // a damaged disk: every page after the first few overwritten
    std::fstream file(bridge.outbox_file(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(4 * 4096);
    const std::string garbage(size - 4 * 4096, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  REQUIRE_MESSAGE(eventually([&] { return !ready(bridge); }, 20s), bridge.log());
  CHECK(bridge.admin("/readyz").body.find("outbox damaged") != std::string::npos);
  CHECK(bridge.admin("/metrics").body.find("ato_bridge_outbox_damaged 1") != std::string::npos);
  const auto log_then = bridge.log();
  std::this_thread::sleep_for(3s);
  const auto log_now = bridge.log();
  // Once said, silence: no error line per claim (760 in 41 s before), and no more collecting.
  CHECK(occurrences(log_now, "malformed") <= occurrences(log_then, "malformed") + 1);
  CHECK(occurrences(log_now, "collected") == occurrences(log_then, "collected"));
  CHECK(log_now.find("ato-bridge outbox check") != std::string::npos);
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 1);  // stopped, and says the outbox is damaged
  CHECK(bridge.log().find("stopped: the outbox is damaged") != std::string::npos);
  const auto check = bridge.cli({"outbox", "check"});
  CHECK(check.exit_code == 1);
  CHECK(check.out.find("FAIL  SQLite:") != std::string::npos);
  CHECK(check.out.find("ato-bridge outbox salvage --to NEW_FILE") != std::string::npos);
}

namespace {

// A small tmpfs of our own, so a test can fill a disk without touching the machine's. Needs root
// (CAP_SYS_ADMIN); mounted() says whether it could.
class SmallDisk {
 public:
  SmallDisk(const fs::path& at, const std::string& size) : at_(at) {
    fs::create_directories(at);
    mounted_ = run_process({"/usr/bin/mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", at.string()})
                   .exit_code == 0;
  }
  ~SmallDisk() {
    if (mounted_) run_process({"/usr/bin/umount", "-l", at_.string()});
  }
  bool mounted() const { return mounted_; }
  // Writes a file until the disk is full.
  void fill() {
    const int fd = ::open((at_ / "filler").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    const std::string block(64 * 1024, 'f');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
  }
  void make_room() { fs::remove(at_ / "filler"); }

 private:
  fs::path at_;
  bool mounted_ = false;
};

}  // namespace

TEST_CASE("a full disk: not ready, no false all-clear, and what was in flight goes again once writes work") {
  SimProcess sim({"--generate-count", "80", "--time-scale", "20000", "--seed", "7", "--start-time",
                  "2026-11-20T08:00:00Z", "--faults", "push.*:latency=100ms"});
  SmallDisk disk(sim.path("disk"), "24m");
  if (!disk.mounted()) {
    MESSAGE("skipped: cannot mount a small tmpfs here (needs root)");
    return;
  }
  BridgeProcess bridge(sim, {.package_size = 5, .outbox_path = (sim.path("disk") / "outbox.db").string()});
  bridge.start();
  REQUIRE_MESSAGE(eventually([&] { return sim_stats(sim).total.events_accepted > 50; }, 20s), bridge.log());
  disk.fill();
  REQUIRE_MESSAGE(
      eventually(
          [&] { return bridge.admin("/readyz").body.find("outbox disk trouble") != std::string::npos; }, 20s),
      bridge.log());
  std::this_thread::sleep_for(3s);
  CHECK(occurrences(bridge.log(), "outbox writable again") == 0);  // no all-clear while it is full
  disk.make_room();
  const auto room_at = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(eventually([&] { return ready(bridge); }, 10s), bridge.log());
  CHECK(std::chrono::steady_clock::now() - room_at < 5s);
  CHECK(occurrences(bridge.log(), "outbox writable again") == 1);
  CHECK(bridge.log().find("whose answers could not be stored go again") != std::string::npos);
  // Everything arrives long before a lease would have expired (two minutes), exactly once.
  REQUIRE_MESSAGE(eventually([&] { return all_delivered(sim); }, 40s), bridge.log());
  CHECK(sim_stats(sim).total.order_violations == 0);
  std::map<std::string, int> seen;
  for (const auto& e : accepted_journal(sim)) ++seen[e.event_id];
  for (const auto& [id, n] : seen) CHECK_MESSAGE(n == 1, id << " accepted " << n << " times");
  bridge.kill(SIGTERM);
  CHECK(bridge.wait(10s).exit_code == 0);
}
