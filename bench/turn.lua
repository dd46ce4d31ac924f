-- wrk script: POST a small-talk turn on one of 64 conversations (no skills, so the backend stays fast).
local counter = 0
request = function()
  counter = counter + 1
  local id = "bench-" .. (counter % 64)
  local body = '{"userId":"u-' .. (counter % 64) .. '","message":"Hello there!","channel":"web"}'
  return wrk.format("POST", "/v1/conversations/" .. id .. "/turns", { ["Content-Type"] = "application/json" }, body)
end
