// rate_limit.hpp — fixed-window request counters in Redis, shared by every worker process.
//
// One round trip per check (a Lua script INCRs and sets the window's expiry together, so a
// crash between the two can't leave a counter without an end). Beyond the limit: HttpError 429
// with Retry-After = seconds left in the window. Redis down → RedisUnavailable (503): a limit
// that can't be checked is not waived.
#pragma once

#include <string_view>

namespace pnptv {

// Counts one request for `subject` (e.g. a client IP) in `bucket`; throws 429 past `limit`.
void enforce_rate_limit(std::string_view bucket, std::string_view subject, long long limit, long long window_seconds);

}  // namespace pnptv
