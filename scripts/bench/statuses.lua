-- wrk script: counts answers by status and prints them, with wrk's error counts, one per line:
--   status 200 15586
--   errors connect=0 read=0 write=0 timeout=0
-- (wrk's own summary has only "Non-2xx or 3xx responses"). Used by scripts/bench-log-volume and
-- the deploy suite (tests/serial_deploy.cpp).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() statuses = {} end
function response(status) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary)
  local sum = {}
  for _, t in ipairs(threads) do
    for s, n in pairs(t:get("statuses")) do sum[s] = (sum[s] or 0) + n end
  end
  for s, n in pairs(sum) do io.write(string.format("status %d %d\n", s, n)) end
  local e = summary.errors
  io.write(string.format("errors connect=%d read=%d write=%d timeout=%d\n", e.connect, e.read, e.write, e.timeout))
end
