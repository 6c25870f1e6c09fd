// radio.hpp — what the radio is playing: Navidrome's Subsonic getNowPlaying (docs/protocols.md
// §7), normalised and kept in Redis `radio:now-playing` so that any number of listeners (and the
// bot's /radio) cost one upstream call per few seconds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

struct NavidromeSettings {
    std::string url;   // NAVIDROME_URL
    std::string user;  // NAVIDROME_USER
    Secret password;   // NAVIDROME_PASSWORD: only its salted MD5 ever leaves the process
    long timeout_ms;   // NAVIDROME_TIMEOUT_MS
    static NavidromeSettings read(SettingsReader& r);
};

struct RadioEntry {
    std::string title, artist, album;
    long long duration_seconds = 0;
};

struct NowPlaying {
    std::vector<RadioEntry> entries;  // empty: nothing playing (normal between tracks)
    long long fetched_at = 0;         // unix seconds of Navidrome's answer; 0: unknown
};

// Subsonic's token: hex MD5 of password + salt.
std::string subsonic_token(std::string_view password, std::string_view salt);

// Asks Navidrome with a fresh salt; nullopt when it gives no usable answer (unreachable, timed
// out, not JSON, a Subsonic error such as 40 wrong credentials — each logged).
std::optional<std::vector<RadioEntry>> fetch_now_playing(const NavidromeSettings& s);

// The cached value (nullopt: none yet). Throws RedisUnavailable.
std::optional<NowPlaying> cached_now_playing();
void cache_now_playing(const NowPlaying& value);  // kept a day: a stale value beats none

Json radio_entries_json(const std::vector<RadioEntry>& entries);

}  // namespace pnptv
