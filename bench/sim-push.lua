-- wrk script for bench/run sim: every request a ~1 KB push package of two new EXPORT events.
-- Each wrk thread has its own SID (so its transports are its own) and counts its own sequences,
-- so every event is new, in order for its transport, and accepted by ato-sim.
local threads = 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

function init(args)
  -- ATO_BENCH_ROUND: each round of bench/run sim starts its sequences (and so its eventIds) above
  -- the last round's, so no event is ever a duplicate.
  counter = (tonumber(os.getenv("ATO_BENCH_ROUND") or "0") or 0) * 100000000
  sid = string.format("S%d%s", thread_index % 10, string.char(65 + (thread_index % 26)))
  token = os.getenv("ATO_BENCH_TOKEN") or ""
  padding = string.rep("x", 200)
end

local function event(n)
  return string.format(
    '{"eventId":"%08x-0000-4000-8000-%012x","service":"EXPORT","sequence":%d,' ..
    '"occurredAt":"2026-11-22T08:00:00.000Z","source":{"sid":"%s","client":"080"},"transportId":"%sK9%05d",' ..
    '"kind":"WORKBENCH","title":"Load test %s","owner":"CB9980000123","releasedAt":"2026-11-22T08:00:00.000Z"}',
    thread_index, n, n, sid, sid, n % 100000, padding)
end

function request()
  counter = counter + 2
  local body = string.format(
    '{"packageId":"%08x-1111-4000-8000-%012x","service":"EXPORT","sentAt":"2026-11-22T08:00:00.000Z","events":[%s,%s]}',
    thread_index, counter, event(counter - 1), event(counter))
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
