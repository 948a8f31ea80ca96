-- wrk script for event_bench.py: POST each body of a file (one JSON per line) exactly once, the
-- file split between wrk's threads (thread t sends lines t, t + n, t + 2n, ...), then stop.
-- Arguments (after --): the Authorization header value, the bodies file, the number of threads.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  auth = args[1]
  bodies = {}
  for line in io.lines(args[2]) do
    if #line > 0 then
      table.insert(bodies, line)
    end
  end
  nthreads = tonumber(args[3]) or 2
  headers = { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
  counter = 0
  sent = 0
  extra = 0
  non2xx = 0
  n404 = 0
end

function request()
  counter = counter + 1
  local i = (counter - 1) * nthreads + tid + 1
  if i > #bodies then
    -- nothing left for this connection: stop the thread; wrk still sends what we return
    extra = extra + 1
    wrk.thread:stop()
    return wrk.format("GET", "/__bench_done")
  end
  sent = sent + 1
  return wrk.format("POST", nil, headers, bodies[i])
end

function response(status, headers, body)
  if status == 404 then
    n404 = n404 + 1
  elseif status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local s, e, bad = 0, 0, 0
  for _, thread in ipairs(threads) do
    s = s + thread:get("sent")
    e = e + thread:get("extra")
    bad = bad + thread:get("non2xx") + math.max(0, thread:get("n404") - thread:get("extra"))
  end
  io.write(string.format("sent %d\nextra %d\nnon2xx %d\n", s, e, bad))
end
