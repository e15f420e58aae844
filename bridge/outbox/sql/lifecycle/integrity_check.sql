-- SQLite's own check, the first 20 problems ("ok" when there are none).
PRAGMA integrity_check(20)
