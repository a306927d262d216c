-- wrk script of scripts/soak.sh: a mix of reads, writes, renewals and sign-outs on samples/WebApi, and the count of
-- acknowledged writes lost. Run with one connection per thread (-t N -c N): each thread's globals are then one
-- connection's session, whose requests are strictly sequential, so its counter may only grow between confirmations.
--
-- Counting: every POST /counter that answers 200 acknowledges the new value V. A later 200 from GET or POST /counter on
-- the same session showing less than the last acknowledged value means an acknowledged write was lost ("lost").
-- A write that failed (503) may still have landed (a timed-out Redis command can run later): it is not acknowledged,
-- so a higher value afterwards is fine. A session that answers 401 although nothing uncertain happened to it (no failed
-- renewal or sign-out since its last confirmed state) counts as "vanished": a lost session is a lost write too.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  cookie = nil
  acked = -1
  uncertain = false
  pending = nil
  lost, vanished, acked_writes = 0, 0, 0
  s2xx, s401, s409, s503, sother = 0, 0, 0, 0, 0
  math.randomseed(os.time() + tid * 7919)
end

local function with_cookie(method, path)
  local headers = {}
  if cookie then headers["Cookie"] = cookie end
  return wrk.format(method, path, headers, "")
end

function request()
  if cookie == nil then
    pending = "login"
    return with_cookie("POST", "/login?user=u" .. tid)
  end
  local r = math.random(100)
  if r <= 60 then pending = "read"; return with_cookie("GET", "/counter")
  elseif r <= 88 then pending = "write"; return with_cookie("POST", "/counter")
  elseif r <= 96 then pending = "renew"; return with_cookie("POST", "/login?user=u" .. tid)
  else pending = "logout"; return with_cookie("POST", "/logout") end
end

local function take_cookie(headers)
  local sc = headers["Set-Cookie"] or headers["set-cookie"]
  if sc then
    local pair = sc:match("^([^;]+)")
    if pair and pair:match("=.+") then cookie = pair else cookie = nil end
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 401 then s401 = s401 + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status == 503 then s503 = s503 + 1
  else sother = sother + 1 end

  if pending == "login" or pending == "renew" then
    if status == 200 then
      take_cookie(headers)
      acked = 0
      uncertain = false
    else
      uncertain = true
    end
  elseif pending == "logout" then
    if status == 204 then
      cookie = nil
      acked = -1
      uncertain = false
    else
      uncertain = true
    end
  elseif status == 200 then
    local v = tonumber(body)
    if v ~= nil and acked >= 0 then
      if pending == "write" then
        if v <= acked then lost = lost + 1 end
        acked_writes = acked_writes + 1
        acked = v
      else
        if v < acked then lost = lost + 1 end
        if v > acked then acked = v end
      end
    end
  elseif status == 401 then
    if acked >= 0 and not uncertain then vanished = vanished + 1 end
    cookie = nil
    acked = -1
    uncertain = false
  end
end

function done(summary, latency, requests)
  local t = { lost = 0, vanished = 0, acked_writes = 0, s2xx = 0, s401 = 0, s409 = 0, s503 = 0, sother = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  io.write(string.format(
    "SOAK requests=%d p50_ms=%.2f p99_ms=%.2f s2xx=%d s401=%d s409=%d s503=%d sother=%d socket_errors=%d acked_writes=%d lost=%d vanished=%d\n",
    summary.requests, latency:percentile(50) / 1000, latency:percentile(99) / 1000, t.s2xx, t.s401, t.s409, t.s503, t.sother,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    t.acked_writes, t.lost, t.vanished))
end
