-- wrk script for event_bench.py: POST each body of a file (one JSON per line) exactly once, the
-- file split between wrk's threads (thread t sends lines t, t + n, t + 2n, ...). A connection whose
-- thread has sent its share asks for a cheap page (not counted; wrk cannot idle a connection
-- without slowing every request); when a thread has had every answer it appends its number to the
-- "done" file and stops (after 400 filler requests without it, an answer was lost to a socket
-- error and the thread stops too). The benchmark interrupts wrk (SIGINT: wrk then reports at
-- once) when every thread is done.
-- Arguments (after --): the Authorization header value, the bodies file, the number of threads,
-- the done file, the cheap page's path.
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
  donefile = args[4]
  idle = args[5] or "/"
  finished = false
  headers = { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
  share = 0
  if #bodies > tid then
    share = math.floor((#bodies - tid - 1) / nthreads) + 1
  end
  counter = 0
  sent = 0
  received = 0
  extra = 0
  non2xx = 0
  n404 = 0
end

function mark_done()
  if finished then
    return
  end
  finished = true
  local f = io.open(donefile, "a")
  f:write(tostring(tid) .. "\n")
  f:close()
  wrk.thread:stop()
end

function request()
  counter = counter + 1
  local i = (counter - 1) * nthreads + tid + 1
  if i > #bodies then
    extra = extra + 1
    if extra >= 400 then
      mark_done() -- an answer was lost (a socket error): every connection has long been free
    end
    return wrk.format("GET", idle)
  end
  sent = sent + 1
  return wrk.format("POST", nil, headers, bodies[i])
end

function response(status, headers, body)
  if extra > 0 and status == 200 then
    n404 = n404 + 1 -- an answer to the cheap page (the event endpoints answer 201 or 202)
  else
    received = received + 1
    if status < 200 or status > 299 then
      non2xx = non2xx + 1
    end
    if received >= share then
      mark_done()
    end
  end
end

function done(summary, latency, requests)
  local s, e, bad, got = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    io.write(string.format("thread %d share %d sent %d received %d extra %d\n", thread:get("tid"),
      thread:get("share"), thread:get("sent"), thread:get("received"), thread:get("extra")))
    s = s + thread:get("sent")
    e = e + thread:get("extra")
    bad = bad + thread:get("non2xx")
    got = got + thread:get("received")
  end
  io.write(string.format("sent %d\nextra %d\nnon2xx %d\nreceived %d\n", s, e, bad, got))
end
