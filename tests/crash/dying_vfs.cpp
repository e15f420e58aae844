#include "tests/crash/dying_vfs.hpp"

#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <cstring>

namespace ato::test {
namespace {

std::atomic<long> writes_left{0};
sqlite3_vfs* real_vfs = nullptr;
sqlite3_vfs dying_vfs;

// Our file: the real file's state lives right after this header.
struct DyingFile {
  sqlite3_file base;
  sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

sqlite3_file* real_of(sqlite3_file* f) {
  return reinterpret_cast<DyingFile*>(f)->real();
}

int x_close(sqlite3_file* f) {
  return real_of(f)->pMethods->xClose(real_of(f));
}
int x_read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  return real_of(f)->pMethods->xRead(real_of(f), b, n, o);
}
int x_write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  if (writes_left.load() > 0 && writes_left.fetch_sub(1) == 1) raise(SIGKILL);
  return real_of(f)->pMethods->xWrite(real_of(f), b, n, o);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 s) {
  return real_of(f)->pMethods->xTruncate(real_of(f), s);
}
int x_sync(sqlite3_file* f, int flags) {
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* s) {
  return real_of(f)->pMethods->xFileSize(real_of(f), s);
}
int x_lock(sqlite3_file* f, int l) {
  return real_of(f)->pMethods->xLock(real_of(f), l);
}
int x_unlock(sqlite3_file* f, int l) {
  return real_of(f)->pMethods->xUnlock(real_of(f), l);
}
int x_check_reserved(sqlite3_file* f, int* r) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), r);
}
int x_file_control(sqlite3_file* f, int op, void* a) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, a);
}
int x_sector_size(sqlite3_file* f) {
  return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int x_device(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int x_shm_map(sqlite3_file* f, int p, int s, int e, void volatile** m) {
  return real_of(f)->pMethods->xShmMap(real_of(f), p, s, e, m);
}
int x_shm_lock(sqlite3_file* f, int o, int n, int fl) {
  return real_of(f)->pMethods->xShmLock(real_of(f), o, n, fl);
}
void x_shm_barrier(sqlite3_file* f) {
  real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int x_shm_unmap(sqlite3_file* f, int d) {
  return real_of(f)->pMethods->xShmUnmap(real_of(f), d);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 o, int n, void** p) {
  return real_of(f)->pMethods->xFetch(real_of(f), o, n, p);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 o, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), o, p);
}

const sqlite3_io_methods kMethods = {
    3,          x_close,       x_read,           x_write,        x_truncate,    x_sync,   x_file_size,
    x_lock,     x_unlock,      x_check_reserved, x_file_control, x_sector_size, x_device, x_shm_map,
    x_shm_lock, x_shm_barrier, x_shm_unmap,      x_fetch,        x_unfetch};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  auto* file = reinterpret_cast<DyingFile*>(f);
  file->base.pMethods = nullptr;
  const int rc = real_vfs->xOpen(real_vfs, name, file->real(), flags, out_flags);
  if (rc == SQLITE_OK && file->real()->pMethods) file->base.pMethods = &kMethods;
  return rc;
}

}  // namespace

void die_before_write(long n) {
  writes_left = n;
}

void install_dying_vfs() {
  real_vfs = sqlite3_vfs_find(nullptr);
  dying_vfs = *real_vfs;
  dying_vfs.zName = "dying";
  dying_vfs.szOsFile = static_cast<int>(sizeof(DyingFile)) + real_vfs->szOsFile;
  dying_vfs.xOpen = x_open;
  sqlite3_vfs_register(&dying_vfs, 1);
}

}  // namespace ato::test
