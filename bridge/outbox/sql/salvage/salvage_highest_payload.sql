-- ...or of its payloads, when the events cannot be read.
SELECT max(id) FROM payloads
