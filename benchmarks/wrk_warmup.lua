-- wrk warm-up script for api_bench.py: cycle through several GET paths, each with its own token,
-- so that every worker process and thread has run every endpoint before the measurements.
-- Arguments (after --): path1 token1 path2 token2 ... (token "-" for none).
local requests = {}
local n = 0

function init(args)
  for i = 1, #args, 2 do
    local headers = { ["Accept"] = "application/json" }
    if args[i + 1] ~= "-" then
      headers["Authorization"] = "Bearer " .. args[i + 1]
    end
    table.insert(requests, wrk.format("GET", args[i], headers))
  end
end

function request()
  n = n + 1
  return requests[(n % #requests) + 1]
end
