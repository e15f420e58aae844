-- Changes when another connection (a CLI command) committed: then what memory holds is dropped.
PRAGMA data_version
