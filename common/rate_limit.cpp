#include "rate_limit.hpp"

#include <string>

#include "http.hpp"
#include "redis.hpp"

namespace pnptv {

namespace {
// KEYS[1] counter; ARGV[1] window seconds → {count, ttl}
const RedisScript count_script(R"lua(
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
)lua");
}  // namespace

void enforce_rate_limit(std::string_view bucket, std::string_view subject, long long limit, long long window_seconds) {
    std::string key = "rl:" + std::string(bucket) + ":" + std::string(subject);
    RedisReply r = redis().eval(count_script, {key}, {std::to_string(window_seconds)});
    if (!r.is_array() || r.size() != 2) throw RedisUnavailable();
    long long count = std::stoll(r.element(0).value_or("0"));
    if (count <= limit) return;
    HttpError e(429, "rate_limited", "Too many requests; try again in a minute.");
    e.headers.emplace_back("Retry-After", r.element(1).value_or(std::to_string(window_seconds)));
    throw e;
}

}  // namespace pnptv
