-- 0 for a file no table was ever written to.
PRAGMA page_count
