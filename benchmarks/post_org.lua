-- wrk script: POST a new organisation per request (unique name and code per thread and run).
local counter = 0
local threads = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  run = args[1] or "r"
  token = args[2] or ""
end

function request()
  counter = counter + 1
  local key = string.format("%s-%d-%d", run, tid, counter)
  local body = string.format('{"name":"bench %s","code":"b-%s","kind":"customer"}', key, key)
  return wrk.format("POST", "/api/v1/organisations/", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end
