-- The full scan the tally of events per tenant, service and state starts from.
SELECT tenant, service, state, count(*) FROM events GROUP BY tenant, service, state
