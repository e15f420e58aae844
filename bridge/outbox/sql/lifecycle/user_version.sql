-- The schema version: the last migration applied.
PRAGMA user_version
