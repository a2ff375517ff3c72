/**
 * The Lua scripts of the Redis store. Each runs atomically in Redis, so a record's streams,
 * indexes and hold checks never disagree, whatever runs concurrently. Every key shares the
 * `{prefix}` hash tag, so all of them live in one cluster slot.
 *
 * Keys, for prefix `P`:
 * - `{P}:s:<category>`: a stream per category; an entry holds one record's part (`d`, JSON) and
 *   the category's expiry as written (`x`).
 * - `{P}:r:<id>`: a hash per record: `t` its time (canonical ISO), `h` 1 when the record itself is
 *   held, `v`/`e` its visitor id and normalised e-mail, and per category the stream entry id.
 * - `{P}:time`: every record as `<time>|<id>` in a sorted set (all scores 0, ordered by text).
 * - `{P}:x:<category>`: record ids scored by that category's expiry (epoch ms).
 * - `{P}:v:<visitorId>`, `{P}:e:<email>`: the subject indexes.
 * - `{P}:holds`, `{P}:hscope`: holds as given, and their scopes in the form the scripts match.
 */

const COMMON = `
local p = ARGV[1]
local CATS = {'essential', 'client', 'nonessential', 'optional', 'security'}

local function split_id(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end

local function id_less(a, b)
  local am, as = split_id(a)
  local bm, bs = split_id(b)
  if am ~= bm then return am < bm end
  return as < bs
end

-- Remove stream entries: XTRIM MINID when they are the stream's oldest (retention in time order,
-- the usual case), XDEL one by one otherwise (a held entry or a straggler in front).
local function remove_entries(stream, eids)
  if #eids == 0 then return end
  table.sort(eids, id_less)
  local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', #eids)
  local oldest = #head == #eids
  if oldest then
    for k = 1, #eids do
      if head[k][1] ~= eids[k] then oldest = false break end
    end
  end
  if oldest then
    local ms, seq = split_id(eids[#eids])
    redis.call('XTRIM', stream, 'MINID', string.format('%d-%d', ms, seq + 1))
  else
    redis.call('XDEL', stream, unpack(eids))
  end
end

local function load_scopes()
  local scopes = {}
  for _, raw in ipairs(redis.call('HVALS', p .. ':hscope')) do
    table.insert(scopes, cjson.decode(raw))
  end
  return scopes
end

local function in_scope(s, id, t, v, e, a)
  if s.n then return false end
  if s.a and a ~= s.a then return false end
  if s.f and t < s.f then return false end
  if s.u and t >= s.u then return false end
  if s.v and v ~= s.v then return false end
  if s.e and e ~= s.e then return false end
  if s.i then
    local found = false
    for _, x in ipairs(s.i) do
      if x == id then found = true break end
    end
    if not found then return false end
  end
  return true
end

local function is_held(id, scopes)
  local f = redis.call('HMGET', p .. ':r:' .. id, 'h', 't', 'v', 'e', 'a')
  if f[1] == '1' then return true end
  for _, s in ipairs(scopes) do
    if in_scope(s, id, f[2] or '', f[3] or false, f[4] or false, f[5] or false) then return true end
  end
  return false
end

-- Delete one record everywhere; count the categories whose expiry is at or before now.
local function delete_record(id, now, counts, entries)
  local rk = p .. ':r:' .. id
  local flat = redis.call('HGETALL', rk)
  local map = {}
  for k = 1, #flat, 2 do map[flat[k]] = flat[k + 1] end
  for _, c in ipairs(CATS) do
    local xkey = p .. ':x:' .. c
    if now and c ~= 'essential' then
      local score = redis.call('ZSCORE', xkey, id)
      if score and tonumber(score) <= now then counts[c] = (counts[c] or 0) + 1 end
    end
    redis.call('ZREM', xkey, id)
    if map[c] then
      entries[c] = entries[c] or {}
      table.insert(entries[c], map[c])
    end
  end
  if map.v then redis.call('SREM', p .. ':v:' .. map.v, id) end
  if map.e then redis.call('SREM', p .. ':e:' .. map.e, id) end
  if map.t then redis.call('ZREM', p .. ':time', map.t .. '|' .. id) end
  redis.call('DEL', rk)
end

local function remove_all(entries)
  for c, eids in pairs(entries) do remove_entries(p .. ':s:' .. c, eids) end
end
`;

/**
 * ARGV: prefix, then per record: id, time, held (0/1), visitor id, e-mail, client address (as
 * the record keeps it, for holds by address), part count, and per
 * part: category, expiry ms ('' for none), expiry as written ('' for none), JSON ('' when only the
 * expiry exists). Returns how many records were new.
 */
export const WRITE_SCRIPT = `${COMMON}
local k = 2
local added = 0
while k <= #ARGV do
  local id, t, h, v, e, a, n = ARGV[k], ARGV[k + 1], ARGV[k + 2], ARGV[k + 3], ARGV[k + 4], ARGV[k + 5], tonumber(ARGV[k + 6])
  k = k + 7
  local rk = p .. ':r:' .. id
  if redis.call('EXISTS', rk) == 1 then
    k = k + 4 * n
  else
    local fields = {'t', t, 'h', h}
    if v ~= '' then
      table.insert(fields, 'v') table.insert(fields, v)
      redis.call('SADD', p .. ':v:' .. v, id)
    end
    if e ~= '' then
      table.insert(fields, 'e') table.insert(fields, e)
      redis.call('SADD', p .. ':e:' .. e, id)
    end
    if a ~= '' then table.insert(fields, 'a') table.insert(fields, a) end
    for _ = 1, n do
      local c, xms, xs, d = ARGV[k], ARGV[k + 1], ARGV[k + 2], ARGV[k + 3]
      k = k + 4
      local eid = redis.call('XADD', p .. ':s:' .. c, '*', 'x', xs, 'd', d)
      table.insert(fields, c) table.insert(fields, eid)
      if xms ~= '' then redis.call('ZADD', p .. ':x:' .. c, xms, id) end
    end
    redis.call('HSET', rk, unpack(fields))
    redis.call('ZADD', p .. ':time', 0, t .. '|' .. id)
    added = added + 1
  end
end
return added
`;

/** ARGV: prefix, ids. Returns per id `{id, category, expiry, json, ...}` or `{}` when gone. */
export const READ_SCRIPT = `${COMMON}
local out = {}
for k = 2, #ARGV do
  local id = ARGV[k]
  local flat = redis.call('HGETALL', p .. ':r:' .. id)
  local map = {}
  for j = 1, #flat, 2 do map[flat[j]] = flat[j + 1] end
  local parts = {}
  if map.t then
    table.insert(parts, id)
    for _, c in ipairs(CATS) do
      if map[c] then
        local entry = redis.call('XRANGE', p .. ':s:' .. c, map[c], map[c])[1]
        if entry then
          local f = {}
          for j = 1, #entry[2], 2 do f[entry[2][j]] = entry[2][j + 1] end
          table.insert(parts, c) table.insert(parts, f.x or '') table.insert(parts, f.d or '')
        end
      end
    end
  end
  table.insert(out, parts)
end
return out
`;

/**
 * One page of retention for one category. ARGV: prefix, category, now (epoch ms), offset, count.
 * Expired `essential` deletes the record; any other category is stripped. Held records are
 * skipped (the caller moves its offset past them). Returns `{seen, held, done, client,
 * nonessential, optional, security}`, the last four counting categories of deleted records.
 */
export const PURGE_SCRIPT = `${COMMON}
local c, now, offset, count = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local xkey = p .. ':x:' .. c
local ids = redis.call('ZRANGE', xkey, '-inf', now, 'BYSCORE', 'LIMIT', offset, count)
local scopes = load_scopes()
local held, done = 0, 0
local counts, entries = {}, {}
for _, id in ipairs(ids) do
  if is_held(id, scopes) then
    held = held + 1
  elseif c == 'essential' then
    delete_record(id, now, counts, entries)
    done = done + 1
  else
    local rk = p .. ':r:' .. id
    local eid = redis.call('HGET', rk, c)
    if eid then
      entries[c] = entries[c] or {}
      table.insert(entries[c], eid)
      redis.call('HDEL', rk, c)
    end
    redis.call('ZREM', xkey, id)
    if c == 'client' then redis.call('HDEL', rk, 'a') end
    local index = (c == 'nonessential' and 'v') or (c == 'optional' and 'e') or nil
    if index then
      local value = redis.call('HGET', rk, index)
      if value then
        redis.call('SREM', p .. ':' .. index .. ':' .. value, id)
        redis.call('HDEL', rk, index)
      end
    end
    done = done + 1
  end
end
remove_all(entries)
return {#ids, held, done, counts.client or 0, counts.nonessential or 0, counts.optional or 0,
        counts.security or 0}
`;

/** ARGV: prefix, subject index key. Deletes the subject's records not under hold: `{erased, held}`. */
export const ERASE_SCRIPT = `${COMMON}
local scopes = load_scopes()
local erased, held = 0, 0
local entries = {}
for _, id in ipairs(redis.call('SMEMBERS', ARGV[2])) do
  if is_held(id, scopes) then
    held = held + 1
  else
    delete_record(id, nil, {}, entries)
    erased = erased + 1
  end
end
remove_all(entries)
return {erased, held}
`;

/** ARGV: prefix, scope JSON (as stored in `hscope`). Returns how many stored records it covers. */
export const COUNT_SCOPE_SCRIPT = `${COMMON}
local s = cjson.decode(ARGV[2])
if s.n then return 0 end
local ids
if s.i then
  ids = s.i
elseif s.v then
  ids = redis.call('SMEMBERS', p .. ':v:' .. s.v)
elseif s.e then
  ids = redis.call('SMEMBERS', p .. ':e:' .. s.e)
else
  local low = s.f and ('[' .. s.f) or '-'
  local high = s.u and ('(' .. s.u) or '+'
  if not s.a then return redis.call('ZLEXCOUNT', p .. ':time', low, high) end
  -- No index by address: a hold by address is rare, and walks the time index.
  ids = {}
  for _, member in ipairs(redis.call('ZRANGEBYLEX', p .. ':time', low, high)) do
    table.insert(ids, string.sub(member, string.find(member, '|', 1, true) + 1))
  end
end
local n = 0
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', p .. ':r:' .. id, 't', 'v', 'e', 'a')
  if f[1] and in_scope(s, id, f[1], f[2] or false, f[3] or false, f[4] or false) then n = n + 1 end
end
return n
`;
