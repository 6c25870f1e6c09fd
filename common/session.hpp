// session.hpp — sessions wire-compatible with express-session + connect-redis (docs/protocols.md §1).
//
// Cookie `connect.sid` = percent-encoded "s:" + sid + "." + base64(HMAC-SHA256(secret, sid)),
// standard alphabet, no padding. Redis key `sess:<sid>` holds the express-session JSON; its TTL
// is the truth (the Node store refreshes with EXPIRE alone, so cookie.expires may lag).
//
// Who is calling is answered in ONE Redis round trip: a Lua script (EVALSHA) reads the session
// together with the user's authorisation record `user:<id>:authz` (banned, role, tier; authz.hpp),
// the projection of the users row that every ban, unban, role and tier change rewrites, so they
// show at the very next request for sessions minted by either stack. A user with no record, or a
// banned one, is no session (fail closed). The same script refreshes the TTL at most once a
// minute. Each session this stack mints is also listed in `user:<id>:sessions`, so a ban or an
// account deletion ends them all at once without scanning.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

inline constexpr std::string_view session_cookie_name = "connect.sid";

// "<sid>.<signature>" for one secret.
std::string sign_sid(std::string_view sid, std::string_view secret);
// The full cookie value as it travels: "s%3A<sid>.<sig>" (percent-encoded).
std::string session_cookie_value(std::string_view sid, std::string_view secret);
// The sid, when the cookie value is well-formed and signed by any of the secrets; else nullopt.
std::optional<std::string> unsign_session_cookie(std::string_view cookie_value, const std::vector<Secret>& secrets);

std::string new_sid();  // 24 CSPRNG bytes, base64url → 32 characters

struct SessionSettings {
    std::vector<Secret> secrets;       // SESSION_SECRETS: the first signs, any verifies (rotation)
    long long ttl_seconds = 604800;    // SESSION_TTL_SECONDS, rolling
    bool cookie_secure = true;         // COOKIE_SECURE: false only for local http
    std::string ttl_text;              // ttl_seconds as text (the guard's script takes it per request)
    static SessionSettings read(SettingsReader& r);
};

struct SessionUser {
    long long id = 0;
    long long telegram_id = 0;
    std::string username, first_name, role = "user", tier = "free", language = "en";
};

// Who is calling, as the guard and the RBAC helpers see it.
struct Identity {
    std::string sid;
    long long user_id = 0;
    std::string role;
    std::string tier;
};

// Where the session's cookie lives. A Mini App runs inside Telegram's web client in a cross-site
// iframe, where a SameSite=Lax cookie is never sent (its login would loop): its sessions get a
// partitioned `SameSite=None; Secure` cookie, which the browser keeps for that embedding site
// only. Secure even when COOKIE_SECURE is off: browsers refuse SameSite=None without it (they
// take it over http from localhost; Telegram opens Mini Apps over https only). The CSRF check
// (Origin on every cookie-authenticated write, common/csrf) applies to both alike.
enum class CookieContext { site, embedded };

// The express-session JSON for a new session (cookie.sameSite "none" and cookie.partitioned for
// an embedded one, so a renewal re-issues the same kind of cookie).
Json session_document(const SessionUser& user, std::chrono::system_clock::time_point expires, long long ttl_seconds,
                      bool secure, CookieContext context = CookieContext::site);

// Loads the identity behind the request's cookie in one Redis round trip; nullopt when there is
// no valid session or the user is banned. Throws RedisUnavailable (callers fail closed).
std::optional<Identity> identify(const SessionSettings& s, const Request& request);
// The same for a bare cookie value (the guard has nothing else).
std::optional<Identity> identify_cookie(const SessionSettings& s, std::string_view cookie_value);

// Creates `sess:<sid>` for the user; returns the sid.
std::string create_session(const SessionSettings& s, const SessionUser& user, CookieContext context = CookieContext::site);
void destroy_session(std::string_view sid);
// Read-modify-write of the session's cookie.expires (unknown keys kept) with a fresh TTL.
// Returns the new expiry and the cookie's context, or nullopt when the session is gone.
struct RenewedSession {
    std::chrono::system_clock::time_point expires;
    CookieContext context;
};
std::optional<RenewedSession> renew_session(const SessionSettings& s, std::string_view sid);

// Set-Cookie values: a session cookie expiring at `expires`, and those that clear it (both
// kinds: a logout doesn't know which one the browser holds).
std::string session_set_cookie(const SessionSettings& s, std::string_view sid, std::chrono::system_clock::time_point expires,
                               CookieContext context = CookieContext::site);
std::vector<std::string> session_clear_cookies(const SessionSettings& s);

// Ends every session of the user this stack minted (those the Node stack minted are stopped by
// the authorisation record at the guard). Returns how many were ended.
long long end_user_sessions(long long user_id);

}  // namespace pnptv
