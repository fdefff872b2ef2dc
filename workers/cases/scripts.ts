// Lua scripts of the case store. Admission (dedup + grouping + case creation) must be one atomic step: two
// deliveries of the same alert, or two alerts of one storm, can reach two API processes at the same instant.
// Keys are derived from ARGV[1] (the `<prefix>:cases:` base); use a hash-tag prefix on Redis Cluster.

/**
 * KEYS: 1 alert dedup key, 2 group key (or a dummy when there is no parent process).
 * ARGV: base, newCaseId, nowMs, windowMs, retentionMs, alertId, hostId, hostName, userId, userName,
 *       originalTime, parentKey, trimIndex ("1" now and then: drop expired cases from index:all).
 * The dedup key holds "<caseId>" until the intake worker processed the alert, then "<caseId>|1".
 * Returns {outcome, caseId, processed}: outcome created | joined | duplicate.
 * Every call is on the intake hot path: the fewest commands that keep dedup, grouping and the indexes right.
 */
export const ADMIT_ALERT = `
local base = ARGV[1]
local seen = redis.call('GET', KEYS[1])
if seen then
  local bar = string.find(seen, '|', 1, true)
  if bar then return {'duplicate', string.sub(seen, 1, bar - 1), '1'} end
  return {'duplicate', seen, '0'}
end

local now = tonumber(ARGV[3])
local windowMs = tonumber(ARGV[4])
local retentionMs = tonumber(ARGV[5])
local alertId, hostId, hostName, userId, userName = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local originalTime, parentKey = ARGV[11], ARGV[12]

local caseId = false
local rec
if parentKey ~= '' then
  local grouped = redis.call('GET', KEYS[2])
  if grouped then
    rec = base .. 'case:' .. grouped
    local fields = redis.call('HMGET', rec, 'status', 'firstAlertAt', 'lastAlertAt', 'userId', 'createdAt')
    if fields[1] and fields[1] ~= 'closed' then
      caseId = grouped
      local update = {'updatedAt', now}
      if originalTime < fields[2] then table.insert(update, 'firstAlertAt'); table.insert(update, originalTime) end
      if originalTime > fields[3] then table.insert(update, 'lastAlertAt'); table.insert(update, originalTime) end
      if userId ~= '' and fields[4] == '' then
        table.insert(update, 'userId'); table.insert(update, userId)
        table.insert(update, 'userName'); table.insert(update, userName)
        redis.call('ZADD', base .. 'index:user:' .. userId, fields[5], caseId)
      end
      redis.call('HINCRBY', rec, 'alertCount', 1)
      redis.call('HSET', rec, unpack(update))
    end
  end
end

local outcome = 'joined'
if not caseId then
  outcome = 'created'
  caseId = ARGV[2]
  rec = base .. 'case:' .. caseId
  redis.call('HSET', rec, 'id', caseId, 'status', 'open', 'hostId', hostId, 'hostName', hostName,
    'userId', userId, 'userName', userName, 'parentKey', parentKey, 'createdAt', now, 'updatedAt', now,
    'firstAlertAt', originalTime, 'lastAlertAt', originalTime, 'alertCount', 1, 'firstAlertId', alertId)
  redis.call('PEXPIRE', rec, retentionMs)
  redis.call('ZADD', base .. 'index:all', now, caseId)
  redis.call('ZADD', base .. 'index:host:' .. hostId, now, caseId)
  if userId ~= '' then redis.call('ZADD', base .. 'index:user:' .. userId, now, caseId) end
  redis.call('ZADD', base .. 'index:status:open', now, caseId)
  if ARGV[13] == '1' then redis.call('ZREMRANGEBYSCORE', base .. 'index:all', '-inf', now - retentionMs) end
end

if parentKey ~= '' then redis.call('SET', KEYS[2], caseId, 'PX', windowMs) end
if redis.call('RPUSH', rec .. ':alerts', alertId) == 1 then redis.call('PEXPIRE', rec .. ':alerts', retentionMs) end
redis.call('SET', KEYS[1], caseId, 'PX', retentionMs)
return {outcome, caseId, '0'}
`;

/** ARGV values per alert in ADMIT_ALERT. */
export const ADMIT_ARGS = 13;

/**
 * ADMIT_ALERT for a batch in one call: KEYS are the (dedup, group) pairs of each alert in order, ARGV the
 * ADMIT_ARGS values of each. The alerts are admitted one after another inside the script, so a later alert
 * joins the case an earlier one of the same batch opened, exactly as separate calls would. One call instead of
 * one per alert saves Redis's per-command work, which on a batch costs as much as the admission itself.
 * Returns one {outcome, caseId, processed} per alert.
 */
export const ADMIT_ALERTS = `
local function admit(K1, K2, A)
${ADMIT_ALERT.replace(/ARGV\[/g, 'A[').replace(/KEYS\[1\]/g, 'K1').replace(/KEYS\[2\]/g, 'K2')}
end
local out = {}
for i = 1, #KEYS / 2 do
  local A = {}
  local o = (i - 1) * ${ADMIT_ARGS}
  for j = 1, ${ADMIT_ARGS} do A[j] = ARGV[o + j] end
  out[i] = admit(KEYS[2 * i - 1], KEYS[2 * i], A)
end
return out
`;

/** KEYS: 1 alert dedup key. Marks the alert processed, keeping its expiry; a no-op for an unknown alert. */
export const MARK_PROCESSED = `
local value = redis.call('GET', KEYS[1])
if value and not string.find(value, '|', 1, true) then
  redis.call('SET', KEYS[1], value .. '|1', 'KEEPTTL')
end
return 1
`;

/**
 * KEYS: 1 case record. ARGV: base, caseId, newStatus, nowMs, expected statuses ("," separated, "" = any).
 * Returns {oldStatus, changed 0|1}, or nil when the case does not exist.
 */
export const SET_STATUS = `
local old = redis.call('HGET', KEYS[1], 'status')
if not old then return nil end
if ARGV[5] ~= '' then
  local allowed = false
  for s in string.gmatch(ARGV[5], '([^,]+)') do
    if s == old then allowed = true end
  end
  if not allowed then return {old, 0} end
end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'updatedAt', ARGV[4])
if old ~= ARGV[3] then
  local created = redis.call('HGET', KEYS[1], 'createdAt')
  redis.call('ZREM', ARGV[1] .. 'index:status:' .. old, ARGV[2])
  redis.call('ZADD', ARGV[1] .. 'index:status:' .. ARGV[3], created, ARGV[2])
end
return {old, 1}
`;
