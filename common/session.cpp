#include "session.hpp"

#include <date/date.h>

#include "cookies.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "redis.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

namespace {

constexpr size_t max_sid_length = 128;

bool valid_sid(std::string_view sid) {
    return !sid.empty() && sid.size() <= max_sid_length && only_chars(sid, "-_", true);
}

std::string session_key(std::string_view sid) { return "sess:" + std::string(sid); }
std::string sessions_key(long long user_id) { return "user:" + std::to_string(user_id) + ":sessions"; }
// A user's list of sessions is pruned of expired ones once it grows past this.
constexpr long long sessions_prune_at = 32;

// KEYS[1] = sess:<sid>; ARGV[1] = the configured TTL in seconds.
// Returns nil (no session / no user / no authorisation record) or {user_id, role, tier, banned}.
// user.id may be a number (this stack) or a string (node-postgres returns bigint as text).
const RedisScript identify_script(R"lua(
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local ok, sess = pcall(cjson.decode, raw)
if not ok or type(sess) ~= 'table' or type(sess.user) ~= 'table' then return nil end
local id = sess.user.id
if type(id) == 'number' then id = string.format('%.0f', id) elseif type(id) ~= 'string' then return nil end
if not string.match(id, '^[1-9][0-9]*$') or #id > 18 then return nil end
local authz = redis.call('HMGET', 'user:' .. id .. ':authz', 'banned', 'role', 'tier')
if not authz[1] or not authz[2] or not authz[3] then return nil end
local ttl = redis.call('TTL', KEYS[1])
local max = tonumber(ARGV[1])
if ttl > 0 and ttl < max - 60 then redis.call('EXPIRE', KEYS[1], max) end
return {id, authz[2], authz[3], authz[1]}
)lua");

std::string iso8601_ms(std::chrono::system_clock::time_point t) {
    return date::format("%FT%TZ", std::chrono::floor<std::chrono::milliseconds>(t));
}


}  // namespace

namespace {
// The prepared key of a secret (the configured ones are used on every request).
const HmacKey& key_of(std::string_view secret) {
    static std::vector<std::pair<std::string, HmacKey>> keys;
    for (const auto& [s, key] : keys)
        if (s == secret) return key;
    if (keys.size() > 16) keys.clear();  // only tests pass secrets of their own
    keys.emplace_back(std::string(secret), HmacKey(secret));
    return keys.back().second;
}
std::string signature_of(std::string_view sid, std::string_view secret) {
    return base64_encode(key_of(secret).sign(sid), Base64::standard, false);
}
}  // namespace

std::string sign_sid(std::string_view sid, std::string_view secret) { return std::string(sid) + "." + signature_of(sid, secret); }

std::string session_cookie_value(std::string_view sid, std::string_view secret) {
    return percent_encode("s:" + sign_sid(sid, secret));
}

std::optional<std::string> unsign_session_cookie(std::string_view cookie_value, const std::vector<Secret>& secrets) {
    if (cookie_value.size() > 512) return std::nullopt;
    auto decoded = percent_decode(cookie_value);
    if (!decoded || decoded->rfind("s:", 0) != 0) return std::nullopt;
    std::string_view signed_value = std::string_view(*decoded).substr(2);
    size_t dot = signed_value.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    std::string_view sid = signed_value.substr(0, dot);
    std::string_view signature = signed_value.substr(dot + 1);
    if (!valid_sid(sid) || signature.size() != 43) return std::nullopt;
    bool ok = false;
    for (const auto& secret : secrets) {
        std::string expected = signature_of(sid, secret.reveal());
        ok |= constant_time_equal(expected, signature);  // no early exit: every secret is tried
    }
    if (!ok) return std::nullopt;
    return std::string(sid);
}

std::string new_sid() { return random_token(24); }

SessionSettings SessionSettings::read(SettingsReader& r) {
    SessionSettings s;
    s.secrets = r.secret_list("SESSION_SECRETS");
    s.ttl_seconds = r.integer("SESSION_TTL_SECONDS", 604800, 60, 31536000);
    s.cookie_secure = r.flag("COOKIE_SECURE", true);
    s.ttl_text = std::to_string(s.ttl_seconds);
    return s;
}

Json session_document(const SessionUser& user, std::chrono::system_clock::time_point expires, long long ttl_seconds,
                      bool secure, CookieContext context) {
    const bool embedded = context == CookieContext::embedded;
    Json cookie = {{"originalMaxAge", ttl_seconds * 1000},
                   {"expires", iso8601_ms(expires)},
                   {"secure", secure || embedded},
                   {"httpOnly", true},
                   {"path", "/"},
                   {"sameSite", embedded ? "none" : "lax"}};
    if (embedded) cookie["partitioned"] = true;
    return {{"cookie", cookie},
            {"user",
             {{"id", user.id},
              {"telegram_id", user.telegram_id},
              {"username", user.username},
              {"first_name", user.first_name},
              {"role", user.role},
              {"tier", user.tier},
              {"language", user.language}}}};
}

std::optional<Identity> identify_cookie(const SessionSettings& s, std::string_view cookie_value) {
    auto sid = unsign_session_cookie(cookie_value, s.secrets);
    if (!sid) return std::nullopt;
    RedisReply r = redis().eval(identify_script, {session_key(*sid)}, {s.ttl_text});
    if (r.is_error()) {
        log_event(LogLevel::error, "session_script_error", {{"error", r.str()}});
        throw RedisUnavailable();
    }
    if (!r.is_array() || r.size() != 4) return std::nullopt;
    if (r.element(3).value_or("0") == "1") return std::nullopt;  // banned: the session no longer verifies
    Identity id;
    id.sid = *sid;
    auto user_id = parse_id(r.element(0).value_or(""));
    if (!user_id) return std::nullopt;  // not a record this code wrote
    id.user_id = *user_id;
    id.role = r.element(1).value_or("user");
    id.tier = r.element(2).value_or("free");
    return id;
}

std::optional<Identity> identify(const SessionSettings& s, const Request& request) {
    auto cookie = request.cookie(session_cookie_name);
    if (!cookie) return std::nullopt;
    return identify_cookie(s, *cookie);
}

std::string create_session(const SessionSettings& s, const SessionUser& user, CookieContext context) {
    const long long ttl = s.ttl_seconds;
    const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(ttl);
    const std::string sid = new_sid(), ttl_text = std::to_string(ttl), list = sessions_key(user.id);
    std::string doc = session_document(user, expires, ttl, s.cookie_secure, context).dump();
    auto r = redis().pipeline({{"SET", session_key(sid), doc, "EX", ttl_text, "NX"},
                               {"SADD", list, sid},
                               {"EXPIRE", list, ttl_text},
                               {"SCARD", list}});
    for (const auto& reply : r)
        if (reply.is_error()) throw RedisUnavailable();
    if (r[0].is_nil()) return create_session(s, user, context);  // a 192-bit collision: practically never, but never reuse
    if (r[3].integer() > sessions_prune_at) {
        // Sessions end by expiry without telling the list: drop the ones that are gone.
        auto members = redis().command({"SMEMBERS", list});
        std::vector<std::vector<std::string>> exists;
        std::vector<std::string> sids;
        for (size_t i = 0; i < members.size(); ++i)
            if (auto s = members.element(i)) {
                sids.push_back(*s);
                exists.push_back({"EXISTS", session_key(*s)});
            }
        auto alive = redis().pipeline(exists);
        std::vector<std::string> srem = {"SREM", list};
        for (size_t i = 0; i < sids.size(); ++i)
            if (alive[i].integer() == 0) srem.push_back(sids[i]);
        if (srem.size() > 2) redis().pipeline({srem});
    }
    return sid;
}

long long end_user_sessions(long long user_id) {
    const std::string list = sessions_key(user_id);
    auto members = redis().command({"SMEMBERS", list});
    if (members.is_error()) throw RedisUnavailable();
    std::vector<std::vector<std::string>> commands;
    for (size_t i = 0; i < members.size(); ++i)
        if (auto s = members.element(i)) commands.push_back({"DEL", session_key(*s)});
    commands.push_back({"DEL", list});
    long long ended = 0;
    auto replies = redis().pipeline(commands);
    for (size_t i = 0; i + 1 < replies.size(); ++i) ended += replies[i].integer();
    return ended;
}

void destroy_session(std::string_view sid) { redis().command({"DEL", session_key(sid)}); }

std::optional<RenewedSession> renew_session(const SessionSettings& s, std::string_view sid) {
    const long long ttl = s.ttl_seconds;
    std::string key = session_key(sid);
    RedisReply current = redis().command({"GET", key});
    if (!current.is_string()) return std::nullopt;
    Json doc = Json::parse(current.str(), nullptr, false);
    if (!doc.is_object()) return std::nullopt;
    const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(ttl);
    if (!doc["cookie"].is_object()) doc["cookie"] = Json::object();
    doc["cookie"]["expires"] = iso8601_ms(expires);
    doc["cookie"]["originalMaxAge"] = ttl * 1000;
    // XX: never resurrect a session destroyed meanwhile (logout in another tab).
    RedisReply r = redis().command({"SET", key, doc.dump(), "EX", std::to_string(ttl), "XX"});
    if (!r.is_string()) return std::nullopt;
    const bool embedded = doc["cookie"].value("partitioned", false) == true;
    return RenewedSession{expires, embedded ? CookieContext::embedded : CookieContext::site};
}

namespace {

CookieOptions session_cookie_options(const SessionSettings& s, CookieContext context) {
    CookieOptions o;
    o.secure = s.cookie_secure;
    if (context == CookieContext::embedded) {
        o.secure = true;
        o.same_site = "None";
        o.partitioned = true;
    }
    return o;
}

}  // namespace

std::string session_set_cookie(const SessionSettings& s, std::string_view sid, std::chrono::system_clock::time_point expires,
                               CookieContext context) {
    return build_set_cookie(session_cookie_name, session_cookie_value(sid, s.secrets.front().reveal()), expires,
                            session_cookie_options(s, context));
}

std::vector<std::string> session_clear_cookies(const SessionSettings& s) {
    std::vector<std::string> out;
    for (CookieContext c : {CookieContext::site, CookieContext::embedded})
        out.push_back(build_set_cookie(session_cookie_name, "", std::chrono::system_clock::time_point{}, session_cookie_options(s, c)));
    return out;
}

}  // namespace pnptv
