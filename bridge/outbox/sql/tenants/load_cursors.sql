-- Every cursor, by tenant number and service, for the cache the claim reads the watermarks from.
SELECT tenant, service, sequence FROM cursors
