-- wrk script for the shadow soak: small-talk turns on conversations that keep changing, so new conversations start
-- all the time (a conversation that lost a turn while the shadow stack was down is never mirrored again; only new
-- ones can show that mirroring resumed).
--   wrk ... -s bench/turn-fresh.lua URL -- <run-tag> [turns=4] [window=16] [delay-ms=0]
-- <run-tag> keeps ids unique across wrk runs (each soak slice is a new wrk process). `window` conversations are open
-- at once and take turns round-robin, so consecutive turns of one conversation are `window` requests apart (with fewer
-- connections than `window`, they are not in flight together); after `turns` turns each, the window moves on to
-- `window` fresh conversations. `delay-ms` paces each connection (wrk waits that long before its next request).
local tag, turns, window, pause = "s", 4, 16, 0
local counter = 0
function init(args)
  tag = args[1] or tag
  turns = tonumber(args[2]) or turns
  window = tonumber(args[3]) or window
  pause = tonumber(args[4]) or pause
end
function request()
  local n = counter
  counter = counter + 1
  local conversation = math.floor(n / (window * turns)) * window + (n % window)
  local id = "soak-" .. tag .. "-" .. conversation
  local body = '{"userId":"u-' .. id .. '","message":"Hello there!","channel":"web"}'
  return wrk.format("POST", "/v1/conversations/" .. id .. "/turns", { ["Content-Type"] = "application/json" }, body)
end
function delay()
  return pause
end
