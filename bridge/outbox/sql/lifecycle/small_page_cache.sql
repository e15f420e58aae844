-- A small page cache (4 MiB): every commit walks the cache's hash table (perf: a loop in the page
-- cache under sqlite3PagerCommitPhaseTwo), ~9% of the outbox thread with 64 MiB. Draining 1,000,000
-- events: 14.4k events/s with 64 MiB; 16.6k, 18.8k, 16.8k with 2, 4, 8 MiB (bench/e2e.sh).
PRAGMA cache_size = -4096
