-- Readers (status, CLI commands) never block the writer; answers "wal" when it took.
PRAGMA journal_mode = WAL
