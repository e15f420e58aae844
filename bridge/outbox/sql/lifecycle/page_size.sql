-- The page size, to turn a size limit in bytes into pages.
PRAGMA page_size
