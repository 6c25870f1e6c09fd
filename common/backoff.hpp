// backoff.hpp — how long to wait before trying again: exponential from a base, capped, with
// ±25% jitter so a crowd of failures doesn't come back in lockstep.
#pragma once

namespace pnptv {

// Seconds before attempt attempts+1 (attempts ≥ 1 already made); at least 1.
long retry_delay_seconds(int attempts, long base_seconds, long cap_seconds);

}  // namespace pnptv
