-- After a migration, in its transaction; %VALUE%: its version.
PRAGMA user_version = %VALUE%
