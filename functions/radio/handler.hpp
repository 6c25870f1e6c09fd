// radio — what the radio is playing, for everyone (public), from Navidrome through the Redis
// cache (common/radio.hpp); the station's stream itself, for everyone or PRIME members only:
// nginx proxies it after this function says yes (X-Accel-Redirect), never announcing where the
// station is.
#pragma once

#include "http.hpp"
#include "radio.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace radio {

inline constexpr std::string_view now_playing_path = "/api/webapp/radio/now-playing";
inline constexpr std::string_view stream_path = "/api/webapp/radio/stream";    // the station, once this function says who
inline constexpr std::string_view stream_location = "/__radio/stream";        // nginx's internal proxy to RADIO_STREAM_URL

struct Settings {
    pnptv::RedisSettings redis;
    pnptv::NavidromeSettings navidrome;
    int cache_seconds;                      // RADIO_CACHE_SECONDS: how long one Navidrome answer serves everyone
    std::optional<std::string> stream_url;  // RADIO_STREAM_URL: the station's audio stream (Icecast/HTTP)
    bool prime_only;                        // RADIO_LISTENERS: everyone, or prime (PRIME members and admins)
    pnptv::WebSettings web;                 // sessions, for a PRIME-only station
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace radio
