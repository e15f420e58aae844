// The outbox knows it is the outbox it was: its identity beside it, a deleted, emptied or swapped
// file refused, read-only access that never creates or migrates, and damage reported as damage.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "bridge/outbox/outbox.hpp"
#include "bridge/outbox/outbox_file.hpp"
#include "bridge/outbox/salvage.hpp"
#include "tests/support/process.hpp"

using namespace ato;
using namespace ato::bridge;
namespace fs = std::filesystem;

namespace {
// The tenant every event of this file belongs to (schema/outbox/009).
const std::string kTenant = "default";

constexpr EpochMillis kT0 = 1'800'000'000'000;

struct Files {
  test::TempDir dir;
  fs::path path = dir / "outbox.db";

  OutboxOptions options(OutboxAccess access = OutboxAccess::Write, bool accept_new = false) const {
    OutboxOptions o;
    o.path = path;
    o.access = access;
    o.accept_new = accept_new;
    return o;
  }
  // An outbox with `n` events, closed (its WAL copied back into the file).
  std::string make(int n = 3) const {
    Outbox box(options());
    std::vector<NewEvent> events;
    for (int i = 1; i <= n; ++i) {
      char id[40];
      std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
      events.push_back({id, Service::Export, i, "S4DK9" + std::to_string(10000 + i), "S4D~080",
                        "{\"title\":\"" + std::string(400, 'x') + "\"}"});
    }
    box.enqueue(kTenant, Service::Export, events, n, kT0);
    return box.identity();
  }
};

}  // namespace

TEST_CASE_FIXTURE(Files, "a new outbox records its identity beside it, and is known again when reopened") {
  const auto identity = make();
  CHECK(identity.size() == 32);
  CHECK(recorded_identity(path) == identity);
  CHECK((fs::status(identity_file(path)).permissions() & fs::perms::others_read) == fs::perms::none);
  CHECK(Outbox(options()).identity() == identity);
  CHECK(Outbox(options(OutboxAccess::Read)).identity() == identity);
}

TEST_CASE_FIXTURE(Files, "an outbox emptied or deleted where one lived is refused, unless taken as new") {
  make();
  SUBCASE("truncated to 0 bytes") {
    fs::resize_file(path, 0);
  }
  SUBCASE("deleted") {
    fs::remove(path);
  }
  for (auto access : {OutboxAccess::Write, OutboxAccess::Read})
    CHECK_THROWS_WITH_AS(Outbox(options(access)), doctest::Contains("but an outbox lived there"),
                         OutboxError);
  // Nothing was written into it meanwhile: the evidence is as the operator left it.
  CHECK((!fs::exists(path) || fs::file_size(path) == 0));
  const auto fresh = Outbox(options(OutboxAccess::Write, true)).identity();
  CHECK(recorded_identity(path) == fresh);
  CHECK(Outbox(options()).counts().total(EventState::Pending) == 0);
}

TEST_CASE_FIXTURE(Files, "another outbox file at the path is refused, unless taken as it is") {
  const auto first = make();
  const fs::path other_dir = dir / "other";
  fs::create_directories(other_dir);
  {
    OutboxOptions o;
    o.path = other_dir / "outbox.db";
    Outbox other(o);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  fs::copy_file(other_dir / "outbox.db", path);
  CHECK_THROWS_WITH_AS(Outbox{options()}, doctest::Contains("is not the outbox that lived there"),
                       OutboxError);
  CHECK(recorded_identity(path) == first);
  const auto taken = Outbox(options(OutboxAccess::Write, true)).identity();
  CHECK(taken != first);
  CHECK(recorded_identity(path) == taken);
}

TEST_CASE_FIXTURE(Files, "read access never creates, migrates or writes an outbox") {
  CHECK_THROWS_WITH_AS(Outbox(options(OutboxAccess::Read)),
                       doctest::Contains("no bridge has run with it yet"), OutboxError);
  CHECK_FALSE(fs::exists(path));
  std::ofstream(path).close();  // an empty file nobody ran with
  CHECK_THROWS_AS(Outbox(options(OutboxAccess::Read)), OutboxError);
  CHECK(fs::file_size(path) == 0);
  fs::remove(path);
  // An outbox of an older schema is left as it is.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x); PRAGMA user_version = 3", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  CHECK_THROWS_WITH_AS(Outbox(options(OutboxAccess::Read)), doctest::Contains("`ato-bridge run` migrates it"),
                       OutboxError);
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == 3);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_CASE_FIXTURE(Files,
                  "damaged pages are damage: an OutboxDamagedError with advice, and check names them") {
  make(400);
  const auto size = fs::file_size(path);
  REQUIRE(size > 20 * 4096);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    const std::string garbage(8 * 4096, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  Outbox box(options());
  CHECK_FALSE(box.check_integrity().empty());
  ClaimRequest request;
  request.now = kT0;
  request.max_events = 1000;
  CHECK_THROWS_WITH_AS(box.claim(request), doctest::Contains("ato-bridge outbox check"), OutboxDamagedError);
}

TEST_CASE_FIXTURE(Files, "a file that is not a database is damage too") {
  {
    std::ofstream out(path);
    out << std::string(8192, 'z');
  }
  CHECK_THROWS_WITH_AS(Outbox{options()}, doctest::Contains("file is not a database"), OutboxDamagedError);
}

TEST_CASE_FIXTURE(Files, "the path no longer naming the open file is noticed") {
  make();
  Outbox box(options());
  CHECK_NOTHROW(box.verify_file());
  SUBCASE("deleted") {
    fs::remove(path);
    CHECK_THROWS_WITH_AS(box.verify_file(), doctest::Contains("was deleted while the bridge ran"),
                         OutboxDamagedError);
  }
  SUBCASE("replaced") {
    fs::rename(path, dir / "moved.db");
    std::ofstream(path).close();
    CHECK_THROWS_WITH_AS(box.verify_file(), doctest::Contains("was replaced by another file"),
                         OutboxDamagedError);
  }
}

TEST_CASE_FIXTURE(Files, "check finds broken invariants in a readable file") {
  make(3);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DELETE FROM payloads WHERE id = 2; UPDATE cursors SET sequence = 1", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  const auto problems = Outbox(options(OutboxAccess::Read)).check_integrity();
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "1 events have no payload");
  CHECK(problems[1] == "2 events lie above their service's cursor");
}

TEST_CASE_FIXTURE(Files, "salvage copies every readable event of a damaged outbox into a new one") {
  const auto identity = make(400);
  const auto size = fs::file_size(path);
  {  // eight pages in the middle of the events overwritten
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    const std::string garbage(8 * 4096, '\xA5');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const auto bytes_before = fs::file_size(path);
  const fs::path target = dir / "salvaged.db";
  const auto report = salvage_outbox(path, target);
  CHECK(fs::file_size(path) == bytes_before);  // the damaged file is only read
  CHECK(report.events > 100);
  CHECK(report.events < 400);
  CHECK(report.events + report.unreadable_rows + report.without_payload >= 400);
  CHECK(report.identity_kept);
  CHECK(report.cursors.at("default EXPORT") == 400);
  // The new file is a sound outbox, the same one as far as the bridge can tell.
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  fs::rename(target, path);
  Outbox box(options());
  CHECK(box.identity() == identity);
  CHECK(box.check_integrity().empty());
  CHECK(box.counts().total(EventState::Pending) == report.events);
  CHECK_THROWS_AS(salvage_outbox(path, path), std::runtime_error);  // never over an existing file
}
