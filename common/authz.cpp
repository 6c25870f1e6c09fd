#include "authz.hpp"

#include "pg.hpp"
#include "redis.hpp"
#include "session.hpp"

namespace pnptv {

void refresh_user_authz(long long user_id) {
    // Drops user:<id>:* (cached profile, feed …) server-side in one round trip.
    static const RedisScript drop_cached(R"lua(
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 100)
  cursor = page[1]
  for _, key in ipairs(page[2]) do redis.call('DEL', key) end
until cursor == '0'
return 1
)lua");
    auto u = db().exec("SELECT banned_at IS NOT NULL, role, tier FROM users WHERE id = $1", {user_id});
    if (u.rows() == 0) return;
    redis().eval(drop_cached, {}, {"user:" + std::to_string(user_id) + ":*"});
    // Then the record the guard reads (it matched the pattern above, so it is written last).
    write_authz(user_id, u.get_bool(0, 0), u.get(0, 1), u.get(0, 2));
}

}  // namespace pnptv
