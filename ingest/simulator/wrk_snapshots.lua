-- wrk script: GET the snapshot of every camera without credentials in an inventory's
-- cameras.csv, round-robin from a random start, over wrk's keep-alive connections.
--   wrk -t1 -c16 -d15s -s ingest/simulator/wrk_snapshots.lua http://127.0.0.1:8780 -- DIR/cameras.csv
local ids = {}
local count = 0
local position = 0

init = function(args)
  local first = true
  for line in io.lines(args[1] or "cameras.csv") do
    if first then
      first = false
    else
      local id, user = line:match("^([^,]*),[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,([^,]*)")
      if id and user == "" then
        count = count + 1
        ids[count] = id
      end
    end
  end
  position = math.random(count)
end

request = function()
  position = position % count + 1
  return wrk.format("GET", "/cam/" .. ids[position] .. "/snapshot.jpg")
end
