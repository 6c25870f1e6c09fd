#include "radio.hpp"

#include "crypto.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "redis.hpp"
#include "urlencoded.hpp"

namespace pnptv {

namespace {
constexpr const char* cache_key = "radio:now-playing";

std::string text_of(const Json& o, const char* key) {
    return o.is_object() && o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : std::string();
}
long long number_of(const Json& o, const char* key) {
    return o.is_object() && o.contains(key) && o[key].is_number_integer() ? o[key].get<long long>() : 0;
}

std::vector<RadioEntry> entries_from(const Json& list) {
    std::vector<RadioEntry> out;
    if (!list.is_array()) return out;
    for (const auto& e : list) {
        RadioEntry r{text_of(e, "title").substr(0, 300), text_of(e, "artist").substr(0, 300), text_of(e, "album").substr(0, 300),
                     number_of(e, "duration") ? number_of(e, "duration") : number_of(e, "duration_seconds")};
        if (!r.title.empty()) out.push_back(std::move(r));
        if (out.size() == 10) break;
    }
    return out;
}
}  // namespace

NavidromeSettings NavidromeSettings::read(SettingsReader& r) {
    return {r.url("NAVIDROME_URL"), r.text("NAVIDROME_USER"), r.secret("NAVIDROME_PASSWORD"),
            static_cast<long>(r.integer("NAVIDROME_TIMEOUT_MS", 2000, 100, 30000))};
}

std::string subsonic_token(std::string_view password, std::string_view salt) { return to_hex(md5(std::string(password) + std::string(salt))); }

std::optional<std::vector<RadioEntry>> fetch_now_playing(const NavidromeSettings& s) {
    const std::string salt = to_hex(random_bytes(8));
    const std::string url = s.url + "/rest/getNowPlaying.view?u=" + percent_encode(s.user) + "&t=" +
                            subsonic_token(s.password.reveal(), salt) + "&s=" + salt + "&v=1.16.1&c=pnptv&f=json";
    auto r = http_call("GET", url, "", {}, s.timeout_ms);
    if (r.status != 200) {
        log_event(LogLevel::warn, "navidrome_unavailable", {{"status", r.status}, {"error", r.error}});
        return std::nullopt;
    }
    Json body = Json::parse(r.body, nullptr, false);
    const Json* answer = body.is_object() && body.contains("subsonic-response") ? &body["subsonic-response"] : nullptr;
    if (!answer || !answer->is_object()) {
        log_event(LogLevel::warn, "navidrome_unreadable", {{"bytes", r.body.size()}});
        return std::nullopt;
    }
    if (text_of(*answer, "status") != "ok") {
        const Json error = answer->value("error", Json::object());
        log_event(LogLevel::warn, "navidrome_error", {{"code", number_of(error, "code")}, {"message", text_of(error, "message").substr(0, 200)}});
        return std::nullopt;
    }
    const Json playing = answer->value("nowPlaying", Json::object());
    return entries_from(playing.is_object() ? playing.value("entry", Json::array()) : Json::array());
}

std::optional<NowPlaying> cached_now_playing() {
    auto cached = redis().command({"GET", cache_key});
    if (!cached.is_string()) return std::nullopt;
    Json v = Json::parse(cached.str(), nullptr, false);
    if (!v.is_object()) return std::nullopt;
    return NowPlaying{entries_from(v.value("entries", Json::array())), number_of(v, "fetched_at")};
}

Json radio_entries_json(const std::vector<RadioEntry>& entries) {
    Json list = Json::array();
    for (const auto& e : entries)
        list.push_back({{"title", e.title}, {"artist", e.artist}, {"album", e.album}, {"duration_seconds", e.duration_seconds}});
    return list;
}

void cache_now_playing(const NowPlaying& value) {
    Json v = {{"entries", radio_entries_json(value.entries)}, {"fetched_at", value.fetched_at}};
    redis().command({"SET", cache_key, v.dump(), "EX", "86400"});
}

}  // namespace pnptv
