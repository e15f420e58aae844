-- How long a statement waits for another connection (a CLI command) to finish; %VALUE%: milliseconds.
PRAGMA busy_timeout = %VALUE%
