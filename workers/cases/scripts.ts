// Lua scripts of the case store. Admission (dedup + grouping + case creation) must be one atomic step: two
// deliveries of the same alert, or two alerts of one storm, can reach two API processes at the same instant.
// Keys are derived from ARGV[1] (the `<prefix>:cases:` base); use a hash-tag prefix on Redis Cluster.

/**
 * KEYS: 1 alert dedup key, 2 group key (or a dummy when there is no parent process).
 * ARGV: base, newCaseId, nowMs, windowMs, retentionMs, alertId, hostId, hostName, userId, userName,
 *       originalTime, parentKey, jobField.
 * Returns {outcome, caseId, queued}: outcome created | joined | duplicate; queued "1" once the intake job was processed.
 */
export const ADMIT_ALERT = `
local base = ARGV[1]
local now = tonumber(ARGV[3])
local windowMs = tonumber(ARGV[4])
local retentionMs = tonumber(ARGV[5])
local alertId, hostId, hostName, userId, userName = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local originalTime, parentKey, jobField = ARGV[11], ARGV[12], ARGV[13]

local seen = redis.call('HMGET', KEYS[1], 'case', 'queued')
if seen[1] then
  return {'duplicate', seen[1], seen[2] or '0'}
end

local caseId = false
if parentKey ~= '' then
  local grouped = redis.call('GET', KEYS[2])
  if grouped then
    local status = redis.call('HGET', base .. 'case:' .. grouped, 'status')
    if status and status ~= 'closed' then caseId = grouped end
  end
end

local outcome = 'joined'
local rec
if caseId then
  rec = base .. 'case:' .. caseId
  redis.call('HINCRBY', rec, 'alertCount', 1)
  redis.call('HSET', rec, 'updatedAt', now)
  local first = redis.call('HGET', rec, 'firstAlertAt')
  local last = redis.call('HGET', rec, 'lastAlertAt')
  if first and originalTime < first then redis.call('HSET', rec, 'firstAlertAt', originalTime) end
  if (not last) or originalTime > last then redis.call('HSET', rec, 'lastAlertAt', originalTime) end
  if userId ~= '' and redis.call('HGET', rec, 'userId') == '' then
    redis.call('HSET', rec, 'userId', userId, 'userName', userName)
    redis.call('ZADD', base .. 'index:user:' .. userId, redis.call('HGET', rec, 'createdAt'), caseId)
  end
else
  outcome = 'created'
  caseId = ARGV[2]
  rec = base .. 'case:' .. caseId
  redis.call('HSET', rec, 'id', caseId, 'status', 'open', 'hostId', hostId, 'hostName', hostName,
    'userId', userId, 'userName', userName, 'parentKey', parentKey, 'createdAt', now, 'updatedAt', now,
    'firstAlertAt', originalTime, 'lastAlertAt', originalTime, 'alertCount', 1, 'firstAlertId', alertId)
  redis.call('ZADD', base .. 'index:all', now, caseId)
  redis.call('ZADD', base .. 'index:host:' .. hostId, now, caseId)
  if userId ~= '' then redis.call('ZADD', base .. 'index:user:' .. userId, now, caseId) end
  redis.call('ZADD', base .. 'index:status:open', now, caseId)
  redis.call('ZREMRANGEBYSCORE', base .. 'index:all', '-inf', now - retentionMs)
end

if parentKey ~= '' then redis.call('SET', KEYS[2], caseId, 'PX', windowMs) end
redis.call('RPUSH', rec .. ':alerts', alertId)
redis.call('HSETNX', rec .. ':jobs', jobField, now)
redis.call('PEXPIRE', rec, retentionMs)
redis.call('PEXPIRE', rec .. ':alerts', retentionMs)
redis.call('PEXPIRE', rec .. ':jobs', retentionMs)
redis.call('HSET', KEYS[1], 'case', caseId, 'queued', '0')
redis.call('PEXPIRE', KEYS[1], retentionMs)
return {outcome, caseId, '0'}
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
