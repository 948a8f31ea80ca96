-- wrk script for desk_bench.py: POST a new ticket per request to the URL given to wrk, cycling
-- through JSON bodies read from a file (one per line) in which "{key}" becomes a key unique per
-- thread, run and request. Counts every response that is not 2xx ("non2xx N").
-- Arguments (after --): token, run id, bodies file.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  token = args[1] or "-"
  run = args[2] or "r"
  bodies = {}
  for line in io.lines(args[3]) do
    if #line > 0 then
      table.insert(bodies, line)
    end
  end
  headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }
  non2xx = 0
end

function request()
  counter = counter + 1
  local key = string.format("%s-%d-%d", run, tid, counter)
  local template = bodies[((counter + tid) % #bodies) + 1]
  local body = string.gsub(template, "{key}", function() return key end)
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("non2xx")
  end
  io.write(string.format("non2xx %d\n", total))
end
