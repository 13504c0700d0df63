-- wrk script of the benchmark harness (bench/wrk.py writes its input and reads its output).
--
--   wrk ... -s bench/lua/requests.lua <url> -- <requests-file> <round-robin|random> \
--       [<header> <nonce> [<stop-status> [<then-method> <then-path> [<then-body> [<then-header>
--       [<then-when>]]]]]]
--
-- The requests file has one request per line, tab-separated: METHOD, PATH, an
-- optional BODY (one line of JSON), then optionally headers of that request only,
-- one "Name: value" per field (e.g. each request a different user's JWT). Headers
-- common to every request come from wrk's -H options. All requests are formatted
-- once in init() and request() only picks one, in turn or at random; unless
-- <header> is given (e.g. Idempotency-Key): then each request is formatted when
-- sent, with that header set to a value never used before (<nonce>, thread,
-- count), and "{unique}" in the body replaced by the same value. With
-- <stop-status> (e.g. 409), a thread stops at the first answer with that status:
-- the run measures only what came before (e.g. a coupon drop while stock lasts);
-- wrk itself still waits out its --duration, so the time from the first request
-- to the last thread's stop is taken here (wall clock through LuaJIT's FFI) and
-- reported as stopped_after_s. With <then-path> (e.g.
-- "/api/v1/reservations/{id}/cancel/"), every 201 answer queues a follow-up,
-- <then-method> <then-path> with {id} the answer's leading "id", sent before the
-- thread's next new request: reserve, then cancel what was reserved. A
-- <then-body> (one line of JSON) is sent with it, "{id}" in it replaced by that
-- id (reserve, then pay for it); a <then-header> (e.g. Idempotency-Key) is set on
-- the follow-up to a value never used before, also put in place of "{unique}".
-- With <then-when>, only a 201 whose body contains that text gets a follow-up (a
-- paid order's own 201 must not start another payment).
-- response() counts statuses per thread, and done() prints one line
-- "BENCH_JSON {...}" with the summary.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
]])

local function now_s()
  local tv = ffi.new("bench_timeval")
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end

-- per thread, read by done() through thread:get()
started_at = nil
stopped_at = nil

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

local function split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

-- wrk's -H headers with a request's own on top (a fresh table: wrk.format writes into it).
function merged_headers(own)
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  for name, value in pairs(own or {}) do
    headers[name] = value
  end
  return headers
end

local requests_ = {}
local count = 0
local cursor = 0
local pick_random = false
local unique_header = nil
local stop_status = nil
local then_method, then_path, then_body, then_header, then_when = nil, nil, nil, nil, nil
local follow_ups = {}
local sent = 0
local nonce = ""
statuses = {}

function init(args)
  local path, mode = args[1], args[2] or "round-robin"
  pick_random = mode == "random"
  if args[3] and args[3] ~= "" then
    unique_header = args[3]
  end
  if args[5] and args[5] ~= "" then
    stop_status = tonumber(args[5])
  end
  if args[7] and args[7] ~= "" then
    then_method, then_path = args[6], args[7]
  end
  if args[8] and args[8] ~= "" then
    then_body = args[8]
  end
  if args[9] and args[9] ~= "" then
    then_header = args[9]
  end
  if args[10] and args[10] ~= "" then
    then_when = args[10]
  end
  for line in io.lines(path) do
    if line ~= "" then
      local fields = split_tabs(line)
      local body = fields[3]
      if body == "" then
        body = nil
      end
      local own = {}
      for i = 4, #fields do
        local name, value = fields[i]:match("^([^:]+):%s*(.*)$")
        if name then
          own[name] = value
        end
      end
      if unique_header then
        table.insert(requests_, { fields[1], fields[2], body, own })
      elseif next(own) then
        table.insert(requests_, wrk.format(fields[1], fields[2], merged_headers(own), body))
      else
        table.insert(requests_, wrk.format(fields[1], fields[2], nil, body))
      end
    end
  end
  count = #requests_
  nonce = string.format("%s-%d", args[4] or os.time(), thread_id or 0)
  assert(count > 0, "no request in " .. path)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  -- Threads start at different points so round-robin spreads from the first request.
  cursor = ((thread_id or 1) - 1) * math.floor(count / 2) % count
end

local function pick()
  if pick_random then
    return requests_[math.random(count)]
  end
  cursor = cursor % count + 1
  return requests_[cursor]
end

local function fresh()
  sent = sent + 1
  return string.format("bench-%s-%d", nonce, sent)
end

local function with_unique_header(fields)
  local headers = merged_headers(fields[4])
  local unique = fresh()
  headers[unique_header] = unique
  local body = fields[3]
  if body then
    body = body:gsub("{unique}", unique)
  end
  return wrk.format(fields[1], fields[2], headers, body)
end

function request()
  if not started_at then
    started_at = now_s()
  end
  if #follow_ups > 0 then
    return table.remove(follow_ups, 1)
  end
  if unique_header then
    return with_unique_header(pick())
  end
  return pick()
end

-- The follow-up of a 201 whose answer's id is `id`.
function follow_up(id)
  local path = then_path:gsub("{id}", id)
  if not then_body and not then_header then
    return wrk.format(then_method, path, nil, nil)
  end
  local headers = merged_headers(nil)
  local unique = fresh()
  if then_header then
    headers[then_header] = unique
  end
  local body = then_body and then_body:gsub("{id}", id):gsub("{unique}", unique) or nil
  return wrk.format(then_method, path, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if stop_status and status == stop_status and not stopped_at then
    stopped_at = now_s()
    wrk.thread:stop()
  end
  if then_path and status == 201 and body and (not then_when or body:find(then_when, 1, true)) then
    local id = body:match('^{"id":"([^"]+)"')
    if id then
      table.insert(follow_ups, follow_up(id))
    end
  end
end

local function to_json(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for key, item in pairs(value) do
      table.insert(parts, string.format("%q:%s", tostring(key), to_json(item)))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "number" then
    if value ~= value or value == math.huge or value == -math.huge then
      return "null"
    end
    return string.format("%.6f", value)
  elseif kind == "string" then
    return string.format("%q", value)
  end
  return "null"
end

function done(summary, latency, _requests)
  local by_status = {}
  local unexpected = 0
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      by_status[tostring(status)] = (by_status[tostring(status)] or 0) + n
      if status < 200 or status >= 400 then
        unexpected = unexpected + n
      end
    end
  end
  -- With a stop status: from the first request sent to the last thread stopped,
  -- when every thread stopped (else the run hit its duration: nil).
  -- (done() runs in the main state, where init() never ran: no stop_status here.)
  local first, last, all_stopped = nil, nil, #threads > 0
  for _, thread in ipairs(threads) do
    local started, stopped = thread:get("started_at"), thread:get("stopped_at")
    if not (started and stopped) then
      all_stopped = false
    else
      first = first and math.min(first, started) or started
      last = last and math.max(last, stopped) or stopped
    end
  end
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  local ms = function(p)
    return latency:percentile(p) / 1000
  end
  io.write("BENCH_JSON ", to_json({
    requests = summary.requests,
    duration_s = seconds,
    rps = summary.requests / seconds,
    bytes = summary.bytes,
    latency_ms = {
      mean = latency.mean / 1000,
      max = latency.max / 1000,
      p50 = ms(50),
      p90 = ms(90),
      p95 = ms(95),
      p99 = ms(99),
    },
    statuses = by_status,
    stopped_after_s = all_stopped and (last - first) or nil,
    non_2xx_3xx = unexpected,
    socket_errors = {
      connect = errors.connect,
      read = errors.read,
      write = errors.write,
      timeout = errors.timeout,
    },
  }), "\n")
end
