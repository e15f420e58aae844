-- Must be chosen before the first table exists: retention frees pages with incremental_vacuum.
PRAGMA auto_vacuum = INCREMENTAL
