-- wrk script for api_bench.py: GET one path with an optional Bearer token and count every response
-- whose status is not 2xx (wrk itself only counts status >= 400 and would let 3xx redirects pass).
-- Arguments (after --): token ("-" for none). The summary line "non2xx N" is parsed by api_bench.py.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local token = args[1] or "-"
  if token ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  wrk.headers["Accept"] = "application/json"
  req = wrk.format("GET")
  non2xx = 0
end

function request()
  return req
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
