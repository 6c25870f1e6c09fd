#include "handler.hpp"

#include <ctime>

#include "log.hpp"

namespace radio {

using namespace pnptv;

namespace {

constexpr const char* refresh_lock = "radio:now-playing:refresh";

Response answer(const Settings& s, const std::optional<NowPlaying>& now, bool stale) {
    Json body = {{"playing", now && !now->entries.empty()},
                 {"entries", now ? radio_entries_json(now->entries) : Json::array()},
                 {"stale", stale},
                 {"fetched_at", now && now->fetched_at ? Json(now->fetched_at) : Json(nullptr)},
                 // Our own path, never the station's address (that would pass by a PRIME-only check).
                 {"stream_url", s.stream_url ? Json(std::string(stream_path)) : Json(nullptr)},
                 {"listeners", s.prime_only ? "prime" : "everyone"}};
    Response r = Response::json(200, body);
    r.headers.emplace_back("Cache-Control", "public, max-age=" + std::to_string(s.cache_seconds));
    return r;
}

// A listener never gets a 5xx for the radio: a fresh cached answer; else, for the one request that
// wins the refresh lock, Navidrome's; else the last good value marked stale, or "nothing playing".
Response now_playing(const Settings& s, const Request&, const PathParams&) {
    try {
        auto cached = cached_now_playing();
        const long long now = std::time(nullptr);
        if (cached && now - cached->fetched_at < s.cache_seconds) return answer(s, cached, false);
        // One refresher at a time, across every worker and host; the lock outlives a slow answer.
        const std::string hold_ms = std::to_string(s.navidrome.timeout_ms + 1000);
        if (!redis().command({"SET", refresh_lock, "1", "NX", "PX", hold_ms}).is_string()) return answer(s, cached, true);  // someone else is refreshing
        auto fresh = fetch_now_playing(s.navidrome);
        if (!fresh) {
            // Navidrome failed: asked again only once the cache window has passed.
            redis().command({"PEXPIRE", refresh_lock, std::to_string(s.cache_seconds * 1000)});
            return answer(s, cached, true);
        }
        NowPlaying value{std::move(*fresh), std::time(nullptr)};
        cache_now_playing(value);
        redis().command({"DEL", refresh_lock});
        return answer(s, value, false);
    } catch (const RedisUnavailable&) {
        log_event(LogLevel::warn, "radio_cache_unavailable");
        return answer(s, std::nullopt, true);
    }
}

// The station's audio: nginx streams it (internal location, proxied to RADIO_STREAM_URL) once
// this says the listener may — anyone, or with RADIO_LISTENERS=prime a PRIME member's session.
Response stream(const Settings& s, const Request& request, const PathParams&) {
    if (!s.stream_url) throw HttpError(404, "no_stream", "The radio has no stream configured.");
    if (s.prime_only) require_prime(s.web, request);
    Response r;
    r.status = 200;
    r.headers = {{"X-Accel-Redirect", std::string(stream_location)}};
    return r;
}

const Router<Settings> routes({
    {"GET", std::string(now_playing_path), now_playing, body(0).limit("pnptv_pages:200")},
    {"GET", std::string(stream_path), stream, body(0).limit("pnptv_pages:50")},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    Settings s{RedisSettings::read(r), NavidromeSettings::read(r), static_cast<int>(r.integer("RADIO_CACHE_SECONDS", 5, 1, 300)),
               r.optional_text("RADIO_STREAM_URL"), r.text("RADIO_LISTENERS", "everyone") == "prime",
               WebSettings::read(r)};
    if (const std::string who = r.text("RADIO_LISTENERS", "everyone"); !r.describing_only() && who != "everyone" && who != "prime")
        throw ConfigError("RADIO_LISTENERS must be everyone or prime");
    if (s.stream_url && s.stream_url->rfind("http://", 0) != 0 && s.stream_url->rfind("https://", 0) != 0)
        throw ConfigError("RADIO_STREAM_URL must be an http:// or https:// URL");
    return s;
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = [] {
        Function f = make_function("radio", routes);
        f.upstream_locations = {{std::string(stream_location), "RADIO_STREAM_URL"}};
        return f;
    }();
    return f;
}

}  // namespace radio
