-- Memory-mapped reads: the claim walks indexes across the whole backlog, and re-reading pages
-- through pread() would dominate (measured: bench/run outbox). Capped at 256 MiB so the bridge's
-- memory stays bounded however large the backlog grows (mapped pages count in its RSS; bench/run e2e
-- watches it while 1,000,000 events drain).
PRAGMA mmap_size = 268435456
