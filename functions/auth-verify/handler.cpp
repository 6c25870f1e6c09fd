#include "handler.hpp"

#include <chrono>

#include "cookies.hpp"
#include "log.hpp"
#include "pages.hpp"
#include "redirect.hpp"
#include "redis.hpp"
#include "session.hpp"
#include "urlencoded.hpp"

namespace auth_verify {

using namespace pnptv;

namespace {

// Redis down means every guarded page load fails: say so once per burst, not per request.
void note_redis_down() {
    using clock = std::chrono::steady_clock;
    static clock::time_point last_logged{};
    auto now = clock::now();
    if (last_logged == clock::time_point{} || now - last_logged > std::chrono::seconds(30)) {
        log_event(LogLevel::error, "guard_redis_unavailable", {{"effect", "denying every request (fail closed)"}});
        last_logged = now;
    }
}

// Who the session cookie belongs to; nullopt for no session, a banned or unknown user, or Redis
// down (fail closed).
std::optional<Identity> guard(const Settings& s, std::optional<std::string_view> cookie_value) {
    if (!cookie_value) return std::nullopt;
    try {
        return identify_cookie(s.session, *cookie_value);
    } catch (const RedisUnavailable&) {
        note_redis_down();
        return std::nullopt;
    }
}

// Where the 401 handler in nginx sends the browser: stock nginx can't URL-encode a variable, so
// the encoded original URI travels back in a header (auth_request_set reads it).
std::string login_location(std::string_view original_uri) {
    return std::string(pages::login) + "?redirect=" + percent_encode(safe_redirect_target(original_uri));
}

// The routed handler: direct calls, and anything the fast path leaves alone.
Response verify(const Settings& s, const Request& request, const PathParams&) {
    std::optional<Identity> id = guard(s, request.cookie(session_cookie_name));
    if (!id) {
        // Through auth_request (nginx sets X-Original-URI) only the status and the redirect
        // header are read: no body. A direct call gets the JSON error like any API.
        auto original = request.header("x-original-uri");
        Response r = original ? Response{401, {}, {}, {}}
                              : error_response(HttpError(401, "unauthenticated", "Log in to continue."));
        r.headers.emplace_back("X-Login-Redirect", login_location(original.value_or("")));
        return r;
    }
    Response r;
    r.status = 200;
    r.headers = {{"X-User-Id", std::to_string(id->user_id)}, {"X-User-Role", id->role}, {"X-User-Tier", id->tier}};
    return r;
}

// nginx's auth_request subrequest (a GET of the verify path with X-Original-URI): the same
// checks as verify(), answered straight from the parameters with no body, no request log and
// no Request/Response objects — this runs on every guarded page load.
std::optional<std::string> verify_subrequest(const Settings& s, char** params) {
    auto original = find_param(params, "HTTP_X_ORIGINAL_URI");
    if (!original || find_param(params, "REQUEST_METHOD") != "GET" || find_param(params, "REQUEST_URI") != verify_path)
        return std::nullopt;
    std::optional<std::string_view> cookie;
    if (auto header = find_param(params, "HTTP_COOKIE")) cookie = find_cookie(*header, session_cookie_name);
    std::optional<Identity> id = guard(s, cookie);
    if (!id)
        return "Status: 401 Unauthorized\r\nX-Login-Redirect: " + login_location(*original) + "\r\nContent-Length: 0\r\n\r\n";
    return "Status: 200 OK\r\nX-User-Id: " + std::to_string(id->user_id) + "\r\nX-User-Role: " + id->role +
           "\r\nX-User-Tier: " + id->tier + "\r\nContent-Length: 0\r\n\r\n";
}

// Direct calls are rate limited by nginx (the guard's own subrequests are not: they follow the
// page loads, which are).
const Router<Settings> routes({
    {"GET", std::string(verify_path), verify, body(0).limit("pnptv_pages:200").guard_target()},
});

}  // namespace

Settings Settings::read(SettingsReader& r) { return {RedisSettings::read(r), SessionSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

std::optional<std::string> handle_subrequest(const Settings& settings, char** params) { return verify_subrequest(settings, params); }

const Function& function() {
    static const Function f = make_function(
        "auth-verify", routes,
        // The bot's links to the media and hangout pages carry Agora tokens (AGORA_TOKEN_TTL_SECONDS).
        {{std::string(pages::hub)}, {std::string(pages::media), true}, {std::string(pages::hangouts), true},
         {std::string(pages::portal)}},
        verify_subrequest);
    return f;
}

}  // namespace auth_verify
