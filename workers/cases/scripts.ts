// Lua scripts of the case store. Admission (dedup + grouping + case creation) must be one atomic step: two
// deliveries of the same alert, or two alerts of one storm, can reach two API processes at the same instant.
// Keys are derived from ARGV[1] (the `<prefix>:cases:` base); use a hash-tag prefix on Redis Cluster.

/**
 * The ioredis command that runs ADMIT_ALERTS. The producer connection sends it at once rather than
 * auto-pipelined (workers/redis.ts): an auto-pipelined connection has one pipeline in flight at a time, so
 * each admission would wait for the one before it to come back.
 */
export const ADMIT_COMMAND = 'hwCaseAdmit' as const;

/**
 * Admits a batch of alerts in order, in one call. KEYS[1] is the `index:status:open` key (it routes the call to
 * the prefix's slot on a Cluster). ARGV: base, nowMs, windowMs, retentionMs, the index names to trim ("" on most
 * calls; now and then a comma-separated list of `index:` suffixes whose expired cases are dropped), one
 * JSON array holding, per alert, [alertId, newCaseId, hostId, hostName, userId, userName, originalTime,
 * parentKey, renew] ("" for a missing value), and the expiry (ms) of host and user indexes.
 * One JSON argument instead of a dozen per alert: on a 100-alert batch, encoding and unpacking the arguments
 * cost as much as the admission itself, on both sides.
 *
 * Each alert is a duplicate (its dedup key exists), joins the open case of its host and parent process (the
 * group key, set for the grouping window), or creates a case. A later alert of the batch joins a case an earlier
 * one opened, exactly as separate calls would. The dedup key holds "<caseId>" until the intake worker processed
 * the alert, then "<caseId>|1". A case's first alert is the record's firstAlertId; the alerts list holds the
 * ones that joined, so a new case costs no list.
 * Returns {outcome, caseId, processed} flattened, three values per alert; outcome created | joined | duplicate.
 *
 * Cost, which every alert of a storm pays: the dedup and group keys are claimed with SET NX GET (one command
 * where a GET and a SET were), and index entries are gathered and written with one ZADD per index per call.
 * Host and user indexes expire a retention period after their last write, when all their cases have expired:
 * their expiry is set on trimming calls and for the alerts whose `renew` is "1", and it is the retention plus
 * the time the caller lets pass before it renews an index again (CaseStore: one PEXPIRE per index per hour,
 * not one per alert).
 */
export const ADMIT_ALERTS = `
local base = ARGV[1]
-- Times stay strings: Redis takes them as they are, where a Lua number would be formatted on every call.
local now, windowMs, retentionMs, indexTtl = ARGV[2], ARGV[3], ARGV[4], ARGV[7]
local trimming = ARGV[5] ~= ''
local out = {}
local entries = {}
local renewed = {}
local function index(key, score, caseId, renew)
  local list = entries[key]
  if not list then list = {}; entries[key] = list end
  list[#list + 1] = score
  list[#list + 1] = caseId
  if renew then renewed[key] = true end
end
for _, a in ipairs(cjson.decode(ARGV[6])) do
  local alertId, newCaseId, hostId, userId, userName, originalTime, parentKey = a[1], a[2], a[3], a[5], a[6], a[7], a[8]
  local renew = a[9] == '1'
  local alertKey = base .. 'alert:' .. alertId
  -- Claimed for the new case id; an alert that joins a case rewrites it below.
  local seen = redis.call('SET', alertKey, newCaseId, 'NX', 'PX', retentionMs, 'GET')
  if seen then
    local bar = string.find(seen, '|', 1, true)
    out[#out + 1] = 'duplicate'
    out[#out + 1] = bar and string.sub(seen, 1, bar - 1) or seen
    out[#out + 1] = bar and '1' or '0'
  else
    local caseId = false
    if parentKey ~= '' then
      local groupKey = base .. 'group:' .. hostId .. '|' .. parentKey
      local grouped = redis.call('SET', groupKey, newCaseId, 'NX', 'PX', windowMs, 'GET')
      if grouped then
        local rec = base .. 'case:' .. grouped
        local f = redis.call('HMGET', rec, 'status', 'firstAlertAt', 'lastAlertAt', 'userId', 'createdAt', 'alertCount')
        if f[1] and f[1] ~= 'closed' then
          caseId = grouped
          -- A record as created has no lastAlertAt or alertCount: they are its firstAlertAt and 1 until an alert joins.
          local update = {'updatedAt', now, 'alertCount', (tonumber(f[6]) or 1) + 1}
          local last = f[3] or f[2]
          if originalTime < f[2] then update[#update + 1] = 'firstAlertAt'; update[#update + 1] = originalTime end
          if originalTime > last then last = originalTime end
          if last ~= f[3] then update[#update + 1] = 'lastAlertAt'; update[#update + 1] = last end
          if userId ~= '' and f[4] == '' then
            update[#update + 1] = 'userId'; update[#update + 1] = userId
            update[#update + 1] = 'userName'; update[#update + 1] = userName
            index(base .. 'index:user:' .. userId, f[5], caseId, renew)
          end
          redis.call('HSET', rec, unpack(update))
          if redis.call('RPUSH', rec .. ':alerts', alertId) == 1 then redis.call('PEXPIRE', rec .. ':alerts', retentionMs) end
          redis.call('SET', alertKey, caseId, 'KEEPTTL')
        end
        -- Joined or not (the grouped case is closed or gone), the window starts again from this alert.
        redis.call('SET', groupKey, caseId or newCaseId, 'PX', windowMs)
      end
    end
    local outcome = 'joined'
    if not caseId then
      outcome = 'created'
      caseId = newCaseId
      local rec = base .. 'case:' .. caseId
      -- Only what a reader cannot derive (CaseStore.get): a storm creates a record per alert, and each field
      -- of a new hash costs Redis time. id, updatedAt, lastAlertAt and alertCount follow from the key and these.
      redis.call('HSET', rec, 'status', 'open', 'hostId', hostId, 'hostName', a[4], 'userId', userId,
        'userName', userName, 'parentKey', parentKey, 'createdAt', now, 'firstAlertAt', originalTime, 'firstAlertId', alertId)
      redis.call('PEXPIRE', rec, retentionMs)
      index(KEYS[1], now, caseId, false)
      index(base .. 'index:host:' .. hostId, now, caseId, renew)
      if userId ~= '' then index(base .. 'index:user:' .. userId, now, caseId, renew) end
    end
    out[#out + 1] = outcome
    out[#out + 1] = caseId
    out[#out + 1] = '0'
  end
end
local expiredBefore = tonumber(now) - tonumber(retentionMs)
for key, list in pairs(entries) do
  redis.call('ZADD', key, unpack(list))
  -- A host or user index lives as long as its newest case; on trimming calls it also drops its expired cases.
  -- The status indexes are not written by admission alone, so they are only trimmed, never expired.
  if key ~= KEYS[1] then
    if trimming or renewed[key] then redis.call('PEXPIRE', key, indexTtl) end
    if trimming then redis.call('ZREMRANGEBYSCORE', key, '-inf', expiredBefore) end
  end
end
for name in string.gmatch(ARGV[5], '([^,]+)') do
  redis.call('ZREMRANGEBYSCORE', base .. 'index:' .. name, '-inf', expiredBefore)
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
