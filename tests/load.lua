-- wrk's script for tests/load.py: each connection sends, in turn, the requests it is given,
-- and every answer that is not 2xx is counted by its status and printed once wrk is done.
--
--   wrk ... -s tests/load.lua URL -- [bulk BODY_FILE] [get PATH] ...
--
-- `bulk BODY_FILE` is a POST /bulk/nodes/versions carrying the JSON in BODY_FILE; `get PATH`
-- is a GET of PATH (query included). Several are taken in the order given, round and round.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   requests = {}
   local index = 1
   while index <= #args do
      local kind, value = args[index], args[index + 1]
      if kind == "bulk" then
         local file = assert(io.open(value, "rb"))
         local body = file:read("*a")
         file:close()
         table.insert(requests, wrk.format("POST", "/bulk/nodes/versions",
            {["Content-Type"] = "application/json", ["User-Agent"] = "wrk-load"}, body))
      elseif kind == "get" then
         table.insert(requests, wrk.format("GET", value, {["User-Agent"] = "wrk-load"}))
      else
         error("unknown request kind: " .. tostring(kind))
      end
      index = index + 2
   end
   assert(#requests > 0, "no request given")
   turn = 0
   refused = {}
end

function request()
   turn = turn % #requests + 1
   return requests[turn]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      refused[status] = (refused[status] or 0) + 1
   end
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("refused")) do
         counts[status] = (counts[status] or 0) + count
      end
   end
   for status, count in pairs(counts) do
      io.write(string.format("refused status %d: %d\n", status, count))
   end
end
