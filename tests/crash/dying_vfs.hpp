// A SQLite VFS that forwards everything to the default one and SIGKILLs the process just before
// its Nth write: a crash placed exactly at an I/O boundary (mid-transaction, between two commits),
// where timed kills from outside almost never land. Used only by crash-test helpers.
#pragma once

namespace ato::test {

// Registers the VFS as the default, for connections opened from now on. It does not kill yet.
void install_dying_vfs();
// From now on, SIGKILL just before the Nth write (N <= 0: never).
void die_before_write(long n);

}  // namespace ato::test
