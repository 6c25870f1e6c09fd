#include "backoff.hpp"

#include <algorithm>
#include <cmath>

#include "crypto.hpp"

namespace pnptv {

long retry_delay_seconds(int attempts, long base_seconds, long cap_seconds) {
    double delay = std::min(static_cast<double>(cap_seconds),
                            static_cast<double>(base_seconds) * std::pow(2.0, std::clamp(attempts - 1, 0, 30)));
    unsigned char r = static_cast<unsigned char>(random_bytes(1)[0]);
    double jitter = 0.75 + 0.5 * (r / 255.0);
    return std::max(1L, std::lround(delay * jitter));
}

}  // namespace pnptv
