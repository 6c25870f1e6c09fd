#include "live.hpp"

#include <ctime>

#include "crypto.hpp"
#include "messages.hpp"
#include "pages.hpp"
#include "pg.hpp"
#include "realtime.hpp"
#include "redis.hpp"

namespace pnptv {

namespace {

// "host is live": to the host's followers, or to PRIME members when nobody follows them yet.
// One statement however many recipients; notify-worker paces the sending.
constexpr const char* live_notices_sql = R"sql(
INSERT INTO outbox (kind, user_id, payload, dedupe_key)
SELECT 'telegram', u.id,
       jsonb_build_object('method', 'sendMessage', 'chat_id', u.telegram_id,
                          'text', CASE WHEN u.language = 'es' THEN $3 ELSE $4 END),
       'live:' || $1 || ':' || u.id
  FROM users u
 WHERE u.id <> $2 AND u.telegram_id IS NOT NULL AND u.unreachable_at IS NULL AND u.banned_at IS NULL
   AND u.deleted_at IS NULL AND u.age_verified_at IS NOT NULL
   AND CASE WHEN EXISTS (SELECT 1 FROM follows WHERE followed_id = $2)
            THEN u.id IN (SELECT follower_id FROM follows WHERE followed_id = $2)
            ELSE u.tier = 'prime' END
ON CONFLICT (dedupe_key) DO NOTHING
)sql";

std::string viewers_key(long long stream_id) { return "live:" + std::to_string(stream_id) + ":viewers"; }

// One round trip: this viewer seen now (Redis's clock), those outside the window dropped, the
// count. The key expires with the window once nobody heartbeats.
const RedisScript heartbeat_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('PEXPIRE', KEYS[1], window)
return redis.call('ZCARD', KEYS[1])
)lua");

// Viewers of every stream asked about (a page of the list) in one round trip, as text.
const RedisScript viewers_script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local counts = {}
for i, key in ipairs(KEYS) do counts[i] = tostring(redis.call('ZCOUNT', key, now - tonumber(ARGV[1]), '+inf')) end
return counts
)lua");

}  // namespace

LiveSettings LiveSettings::read(SettingsReader& r) {
    return {AgoraSettings::read(r), r.url("PUBLIC_BASE_URL"), r.integer("LIVE_NOTICE_COOLDOWN_MINUTES", 30, 0, 1440),
            static_cast<int>(r.integer("LIVE_VIEWER_WINDOW_SECONDS", 15, 1, 300))};
}

std::string live_room(long long stream_id) { return "live-" + std::to_string(stream_id); }

std::string live_page_link(const std::string& public_base_url, long long stream_id) {
    return public_base_url + std::string(pages::live) + "?stream=" + std::to_string(stream_id);
}

StartedLive start_live(const LiveSettings& s, long long host_id, const std::string& host_name, const std::optional<std::string>& title,
                       bool prime_only) {
    StartedLive out;
    db().transaction([&] {
        // Serialises two starts by the same host (the unique index would refuse the second).
        db().exec("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", {host_id});
        auto current = db().exec("SELECT id, channel FROM live_streams WHERE host_id = $1 AND status = 'live'", {host_id});
        if (current.rows()) {
            out = {current.get_int(0, "id"), current.get(0, "channel"), false};
            return;
        }
        std::string channel = "live-" + to_hex(random_bytes(8));
        auto stream = db().exec("INSERT INTO live_streams (host_id, channel, title, prime_only) VALUES ($1, $2, $3, $4) RETURNING id",
                                {host_id, channel, title, prime_only});
        out = {stream.get_int(0, 0), channel, true};
        // Followers hear "host is live" once per cooldown, however often the host stops and starts.
        auto notify = db().exec("UPDATE live_streams SET notices_sent_at = now() WHERE id = $1 AND NOT EXISTS ("
                                "  SELECT 1 FROM live_streams WHERE host_id = $2 AND notices_sent_at > now() - make_interval(mins => $3))",
                                {out.stream_id, host_id, s.notice_cooldown_minutes});
        if (notify.affected()) {
            const std::string watch = live_page_link(s.public_base_url, out.stream_id);
            const std::string host = host_name.empty() ? "PNPtv" : host_name;
            db().exec(live_notices_sql, {out.stream_id, host_id, say("es", "live_notice", {{"host", host}, {"link", watch}}),
                                         say("en", "live_notice", {{"host", host}, {"link", watch}})});
        }
    });
    return out;
}

bool end_live(long long stream_id) {
    bool ended = false;
    db().transaction([&] {
        ended = db().exec("UPDATE live_streams SET status = 'ended', ended_at = now() WHERE id = $1 AND status = 'live'", {stream_id}).affected() > 0;
        // Viewers' pages leave; the dedupe key makes it once per stream however it ends.
        if (ended)
            enqueue_realtime_event(room_channel(live_room(stream_id)), {{"type", "ended"}, {"stream", stream_id}},
                                   "live-ended:" + std::to_string(stream_id));
    });
    return ended;
}

std::optional<long long> live_stream_of(long long host_id) {
    auto r = db().exec("SELECT id FROM live_streams WHERE host_id = $1 AND status = 'live'", {host_id});
    if (r.rows() == 0) return std::nullopt;
    return r.get_int(0, 0);
}

std::string rtc_token(const AgoraSettings& agora, const std::string& channel, long long uid, AgoraRole role) {
    AgoraTokenRequest r;
    r.app_id = agora.app_id;
    r.app_certificate = agora.certificate.reveal();
    r.channel = channel;
    r.uid = uid > 0 && uid <= 0xffffffffLL ? static_cast<uint32_t>(uid) : 0;
    r.role = role;
    r.expire_seconds = agora.token_ttl_seconds;  // relative: the builder adds it to the issue time
    return build_agora_rtc_token(r);
}

Json rtc_token_json(const AgoraSettings& agora, const std::string& channel, long long uid, AgoraRole role) {
    return {{"app_id", agora.app_id},
            {"channel", channel},
            {"uid", uid},
            {"role", role == AgoraRole::publisher ? "publisher" : "subscriber"},
            {"token", rtc_token(agora, channel, uid, role)},
            {"expires_at", static_cast<long long>(std::time(nullptr)) + agora.token_ttl_seconds}};
}

long long live_heartbeat(const LiveSettings& s, long long stream_id, long long viewer_id) {
    const std::string key = viewers_key(stream_id), viewer = std::to_string(viewer_id), window = std::to_string(s.viewer_window_seconds * 1000);
    const long long viewers = redis().eval(heartbeat_script, {key}, {viewer, window}).integer();
    db().exec("UPDATE live_streams SET viewer_peak = $2 WHERE id = $1 AND viewer_peak < $2", {stream_id, viewers});
    return viewers;
}

std::vector<long long> live_viewers(const LiveSettings& s, const std::vector<long long>& stream_ids) {
    if (stream_ids.empty()) return {};
    std::vector<std::string> keys;
    for (long long id : stream_ids) keys.push_back(viewers_key(id));
    const std::vector<std::string_view> key_views(keys.begin(), keys.end());
    const std::string window = std::to_string(s.viewer_window_seconds * 1000);
    auto reply = redis().eval(viewers_script, key_views, {window});
    std::vector<long long> counts;
    for (size_t i = 0; i < stream_ids.size(); ++i) counts.push_back(std::stoll(reply.element(i).value_or("0")));
    return counts;
}

}  // namespace pnptv
