-- Every stored eventId with its row: the index of eventIds (event_ids.hpp) is built from it.
SELECT event_id, id FROM events
