-- wrk script for api_bench.py: POST a new organisation per request (unique name and code per
-- thread and run) and count every response that is not 2xx, printed as "non2xx N".
-- Arguments (after --): token, run id.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  token = args[1] or "-"
  run = args[2] or "r"
  non2xx = 0
end

function request()
  counter = counter + 1
  local key = string.format("%s-%d-%d", run, tid, counter)
  local body = string.format('{"name":"bench %s","code":"b-%s","kind":"customer"}', key, key)
  return wrk.format("POST", "/api/v1/organisations/", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
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
