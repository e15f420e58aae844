-- %VALUE%: FULL or NORMAL (durability.full). Set here: Debian's SQLite build would otherwise make
-- WAL synchronous=FULL.
PRAGMA synchronous = %VALUE%
