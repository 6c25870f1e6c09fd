#include "handler.hpp"

#include <chrono>

#include "log.hpp"
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

// Where the 401 handler in nginx sends the browser: stock nginx can't URL-encode a variable, so
// the encoded original URI travels back in a header (auth_request_set reads it).
std::string login_location(const Request& request) {
    std::string target = safe_redirect_target(request.header("x-original-uri").value_or(""));
    return "/auth/?redirect=" + percent_encode(target);
}

Response verify(const Request& request, const PathParams&) {
    std::optional<Identity> id;
    try {
        id = identify(request);
    } catch (const RedisUnavailable&) {
        note_redis_down();
    }
    if (!id) {
        Response r = error_response(HttpError(401, "unauthenticated", "Log in to continue."));
        r.headers.emplace_back("X-Login-Redirect", login_location(request));
        return r;
    }
    Response r;
    r.status = 200;
    r.headers = {{"X-User-Id", std::to_string(id->user_id)}, {"X-User-Role", id->role}, {"X-User-Tier", id->tier}};
    return r;
}

const Router routes({
    {"GET", "/api/webapp/auth/verify", verify, 0},
});

}  // namespace

Response handle(const Request& request) { return routes.dispatch(request); }

const Function& function() {
    static const Function f{"auth-verify", routes, {"REDIS_URL", "SESSION_SECRETS"}};
    return f;
}

}  // namespace auth_verify
