-- ato-bridge outbox, migration 005: per-transport order is decided in memory (bridge/outbox/
-- claim_window.hpp), no longer kept in SQLite. Migration 003 kept a head flag on the rows, an index
-- by transport, and triggers that hand the headship on; every event paid for them three times
-- (stored: a probe and a demotion; settled: the index entry and a promotion of the next event, a
-- trigger sub-program per row). With the order in memory, the claim leases the row ids the window
-- chose, and settling is a plain update.
--
-- Measured on a 1,000,000-event outbox (realistic transports, packages of 100, two per commit;
-- the same statements on bare SQLite): store + claim + settle took 55 us per event with 003-004's
-- machinery and 19 us with the order in memory; states, leases, retention and dead letters as
-- before. In the bridge (bench/e2e.sh, 378,000-event backlog, alternating runs) the outbox thread
-- used 1,190-1,375 CPU ticks before and 836-898 after; events/s rose from 21-27k to 34-37k.
--
-- What stays in SQLite: every state and lease (the window is a cache of the lowest open events,
-- cleared and loaded again whenever in doubt), and this index, by which the window loads the open
-- events in sequence order however many delivered rows are kept.
-- `transport_head` stays on the table (a CHECK names it, so SQLite cannot drop the column); nothing
-- reads or writes it any more.
DROP TRIGGER events_head_on_settle;
DROP TRIGGER events_head_on_requeue;
DROP INDEX events_claimable;
DROP INDEX events_by_transport;
CREATE INDEX events_open ON events (sequence) WHERE settled_at IS NULL;
