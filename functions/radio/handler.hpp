// radio — what the radio is playing, for everyone (public), from Navidrome through the Redis
// cache (common/radio.hpp); the station's stream address.
#pragma once

#include "http.hpp"
#include "radio.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace radio {

inline constexpr std::string_view now_playing_path = "/api/webapp/radio/now-playing";

struct Settings {
    pnptv::RedisSettings redis;
    pnptv::NavidromeSettings navidrome;
    int cache_seconds;                      // RADIO_CACHE_SECONDS: how long one Navidrome answer serves everyone
    std::optional<std::string> stream_url;  // RADIO_STREAM_URL: the station's audio stream (Icecast/HTTP)
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace radio
