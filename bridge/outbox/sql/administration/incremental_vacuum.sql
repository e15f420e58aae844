-- Frees the pages retention emptied.
PRAGMA incremental_vacuum
