-- wrk script for desk_bench.py: GET one URL with an optional Bearer token and an optional Cookie
-- header (a logged-in session), counting every response that is not 2xx ("non2xx N").
-- Arguments (after --): token ("-" for none), cookie ("-" for none, else "name=value").
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local token, cookie = args[1] or "-", args[2] or "-"
  if token ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
  if cookie ~= "-" then
    wrk.headers["Cookie"] = cookie
  end
  wrk.headers["Accept"] = "application/json, text/html"
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
