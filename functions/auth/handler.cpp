#include "handler.hpp"

#include <chrono>
#include <ctime>

#include "authz.hpp"
#include "cookies.hpp"
#include "crypto.hpp"
#include "csrf.hpp"
#include "log.hpp"
#include "pages.hpp"
#include "pg.hpp"
#include "rate_limit.hpp"
#include "rbac.hpp"
#include "redirect.hpp"
#include "session.hpp"
#include "telegram_auth.hpp"
#include "urlencoded.hpp"

namespace auth {

using namespace pnptv;

namespace {

constexpr long long requests_per_minute = 100;
constexpr size_t login_body_cap = 8 * 1024;
// Binds every widget login (the JavaScript callback, the widget's data-auth-url, the OAuth
// redirect's fragment) to the browser that started it: without it, anyone could send a victim's
// browser to the callback — or to the fragment page, which posts from our own origin — with the
// attacker's own signed fields and log the victim in as the attacker (login CSRF). Over https the
// cookie has the __Host- prefix, so no sibling subdomain can plant one.
constexpr long long login_state_minutes = 10;

// Saves what Telegram told us; the saved language wins over Telegram's on later logins.
constexpr const char* upsert_user_sql = R"sql(
INSERT INTO users (telegram_id, username, first_name, last_name, photo_url, language)
VALUES ($1, NULLIF($2, ''), $3, NULLIF($4, ''), NULLIF($5, ''), $6)
ON CONFLICT (telegram_id) DO UPDATE
   SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
       photo_url = COALESCE(EXCLUDED.photo_url, users.photo_url)
RETURNING id, role, tier, language, banned_at IS NOT NULL AS banned
)sql";

constexpr const char* me_sql = R"sql(
SELECT u.id, u.telegram_id, u.username, u.first_name, u.last_name, u.photo_url, u.language,
       u.age_verified_at IS NOT NULL AS age_verified, s.status AS subscription_status, s.plan_id,
       to_char(s.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS ends_at
  FROM users u
  LEFT JOIN subscriptions s ON s.user_id = u.id AND s.status = 'active'
 WHERE u.id = $1 AND u.banned_at IS NULL
)sql";

// 100 requests per minute per client IP on every route here (nginx limit_req is the outer layer).
template <Handler<Settings> H>
Response rate_limited(const Settings& s, const Request& request, const PathParams& params) {
    enforce_rate_limit("auth", request.remote_addr, requests_per_minute, 60);
    return H(s, request, params);
}

std::string language_from(std::string_view language_code) {
    return language_code.substr(0, 2) == "es" ? "es" : "en";
}

[[noreturn]] void reject_login(const Request& request, const TelegramAuth& result, std::string_view via) {
    // The client IP is in the line so fail2ban can act on repeated failures.
    log_event(LogLevel::warn, "login_failed",
              {{"remote", request.remote_addr}, {"via", via}, {"reason", describe(result.result)}, {"field", result.field}});
    bool malformed = result.result == TelegramAuthResult::missing_field ||
                     result.result == TelegramAuthResult::duplicate_field ||
                     result.result == TelegramAuthResult::bad_field;
    if (malformed) throw HttpError(400, "invalid_login_fields", describe(result.result), result.field);
    throw HttpError(401, "telegram_auth_failed", describe(result.result), result.field);
}

TelegramAuth check_widget_fields(const Settings& s, const Request& request, const Pairs& fields, std::string_view via) {
    TelegramAuth result = verify_login_widget(fields, s.bot_token.reveal(), std::time(nullptr), s.max_age_seconds);
    if (result.result != TelegramAuthResult::ok) reject_login(request, result, via);
    return result;
}

struct LoggedIn {
    Json user;
    std::string set_cookie;
};

// Everything after Telegram vouched for the user: save them, refuse the banned, rotate the session.
LoggedIn complete_login(const Settings& s, const Request& request, const TelegramUser& tg, std::string_view via,
                        CookieContext context = CookieContext::site) {
    std::string photo = tg.photo_url.rfind("https://", 0) == 0 ? tg.photo_url : "";
    auto row = db().exec(upsert_user_sql, {tg.id, tg.username, tg.first_name, tg.last_name, photo,
                                           language_from(tg.language_code)});
    SessionUser user;
    user.id = row.get_int(0, "id");
    user.telegram_id = tg.id;
    user.username = tg.username;
    user.first_name = tg.first_name;
    user.role = row.get(0, "role");
    user.tier = row.get(0, "tier");
    user.language = row.get(0, "language");
    bool banned = row.get_bool(0, "banned");
    // The guard's record now, so a new user is never bounced (the trigger's intent follows).
    write_authz({{user.id, true, banned, user.role, user.tier}});
    if (banned) {
        log_event(LogLevel::warn, "login_refused_banned", {{"remote", request.remote_addr}, {"user_id", user.id}});
        throw HttpError(403, "banned", "This account is banned.");
    }
    // No fixation: whatever session came with the request ends, and a new sid is minted.
    if (auto old = request.cookie(session_cookie_name))
        if (auto sid = unsign_session_cookie(*old, s.web.session.secrets)) destroy_session(*sid);
    std::string sid = create_session(s.web.session, user, context);
    auto expires = std::chrono::system_clock::now() + std::chrono::seconds(s.web.session.ttl_seconds);
    log_event(LogLevel::info, "login", {{"user_id", user.id}, {"via", via}, {"remote", request.remote_addr}});
    return {{{"id", user.id},
             {"telegram_id", user.telegram_id},
             {"username", user.username},
             {"first_name", user.first_name},
             {"role", user.role},
             {"tier", user.tier},
             {"language", user.language}},
            session_set_cookie(s.web.session, sid, expires, context)};
}

// A login posted from another site is login CSRF: refused before the body is read.
Json parse_json_body(const Settings& s, const Request& request) {
    require_same_origin(request, s.web.public_base_url, s.web.session.cookie_secure);
    return parse_json_object(request);
}

Response login_answer(LoggedIn in, const std::string& redirect) {
    Response r = Response::json(200, {{"user", in.user}, {"redirect", redirect}});
    r.set_cookies.push_back(std::move(in.set_cookie));
    return r;
}

CookieOptions login_state_options(const Settings& s) {
    CookieOptions o;
    o.secure = s.web.session.cookie_secure;
    return o;
}

std::string_view login_state_cookie(const Settings& s) {
    return s.web.session.cookie_secure ? "__Host-pnptv_login_state" : "pnptv_login_state";
}

std::string clear_login_state(const Settings& s) {
    return build_set_cookie(login_state_cookie(s), "", std::chrono::system_clock::time_point{}, login_state_options(s));
}

// A fresh state value, set as a cookie on `response`; the caller puts it in the return URL.
std::string issue_login_state(const Settings& s, Response& response) {
    std::string state = random_token(16);
    response.set_cookies.push_back(build_set_cookie(login_state_cookie(s), state,
                                                    std::chrono::system_clock::now() + std::chrono::minutes(login_state_minutes),
                                                    login_state_options(s)));
    return state;
}

void require_login_state(const Settings& s, const Request& request) {
    std::string sent = find_value(request.query, "state").value_or("");
    std::string kept = request.cookie(login_state_cookie(s)).value_or("");
    if (sent.empty() || kept.empty() || !constant_time_equal(sent, kept)) {
        log_event(LogLevel::warn, "login_failed", {{"remote", request.remote_addr}, {"via", "widget_redirect"}, {"reason", "state mismatch"}});
        throw HttpError(403, "login_state_mismatch", "This login was not started in this browser. Start again from the login page.");
    }
}

std::string redirect_param(const Request& request) {
    return safe_redirect_target(find_value(request.query, "redirect").value_or(""));
}

// GET|POST /api/webapp/auth/telegram/start → Telegram's OAuth page, which returns to the callback.
Response start(const Settings& s, const Request& request, const PathParams&) {
    const std::string& token = s.bot_token.reveal();
    std::string bot_id = token.substr(0, token.find(':'));
    const std::string& base = s.web.public_base_url;
    if (request.method == "POST") require_same_origin(request, base, s.web.session.cookie_secure);
    Response r;
    std::string state = issue_login_state(s, r);
    std::string callback = base + std::string(callback_path) + "?redirect=" + percent_encode(redirect_param(request)) +
                           "&state=" + state;
    r.status = 302;
    r.headers.emplace_back("Location", s.oauth_base + "/auth?bot_id=" + percent_encode(bot_id) + "&origin=" + percent_encode(base) +
                                           "&request_access=write&return_to=" + percent_encode(callback));
    return r;
}

// GET /api/webapp/auth/telegram/state — for a page that shows the widget with data-auth-url:
// the state value to put in that URL, bound to this browser by a cookie, and the widget's bot.
Response login_state(const Settings& s, const Request&, const PathParams&) {
    Response r;
    std::string state = issue_login_state(s, r);
    Response answer = Response::json(200, {{"state", state}, {"bot_username", s.bot_username}});
    answer.set_cookies = std::move(r.set_cookies);
    return answer;
}


// GET /api/webapp/auth/telegram/callback — fields in the query (widget data-auth-url) or none:
// the OAuth redirect puts them in the URL fragment, which never reaches a server. Then on to the
// login page with our state and target; the browser carries the fragment over the redirect, and
// the page posts the fields to /api/webapp/auth/telegram.
Response callback(const Settings& s, const Request& request, const PathParams&) {
    Pairs fields;
    for (const auto& kv : request.query)
        if (kv.first != "redirect" && kv.first != "state") fields.push_back(kv);  // ours, not Telegram's: not signed
    if (fields.empty())
        return Response::redirect(std::string(pages::login) + "?redirect=" + percent_encode(redirect_param(request)) +
                                  "&state=" + percent_encode(find_value(request.query, "state").value_or("").substr(0, 64)));
    require_login_state(s, request);
    TelegramAuth result = check_widget_fields(s, request, fields, "widget_redirect");
    LoggedIn in = complete_login(s, request, result.user, "widget_redirect");
    Response r = Response::redirect(redirect_param(request));
    r.set_cookies.push_back(std::move(in.set_cookie));
    r.set_cookies.push_back(clear_login_state(s));
    return r;
}

// POST /api/webapp/auth/telegram — the widget's JavaScript callback, or the fragment page.
Response login_widget_json(const Settings& s, const Request& request, const PathParams&) {
    Json body = parse_json_body(s, request);
    auto fields = login_fields_from_json(body);
    if (!fields)
        throw HttpError(400, "invalid_login_fields", "Login fields must be strings or whole numbers.");
    require_login_state(s, request);
    TelegramAuth result = check_widget_fields(s, request, *fields, "widget");
    Response r = login_answer(complete_login(s, request, result.user, "widget"), redirect_param(request));
    r.set_cookies.push_back(clear_login_state(s));
    return r;
}

// POST /api/webapp/auth/webapp — {"initData": "<Telegram.WebApp.initData>"} from the Mini App,
// which may run in a cross-site iframe: its session gets the embedded (partitioned) cookie.
Response login_webapp(const Settings& s, const Request& request, const PathParams&) {
    Json body = parse_json_body(s, request);
    if (!body.contains("initData") || !body["initData"].is_string())
        throw HttpError(400, "missing_field", "initData (a string) is required.", "initData");
    const std::string init_data = body["initData"].get<std::string>();
    if (init_data.empty() || init_data.size() > 4096)
        throw HttpError(400, "invalid_field", "initData is empty or too long.", "initData");
    TelegramAuth result = verify_webapp_init_data(init_data, s.bot_token.reveal(), std::time(nullptr), s.max_age_seconds);
    if (result.result != TelegramAuthResult::ok) reject_login(request, result, "webapp");
    return login_answer(complete_login(s, request, result.user, "webapp", CookieContext::embedded), redirect_param(request));
}

// POST /api/webapp/auth/logout — always clears the cookie; destroys the session when there is one.
Response logout(const Settings& s, const Request& request, const PathParams&) {
    require_same_origin(request, s.web.public_base_url, s.web.session.cookie_secure);
    if (auto cookie = request.cookie(session_cookie_name))
        if (auto sid = unsign_session_cookie(*cookie, s.web.session.secrets)) destroy_session(*sid);
    Response r = Response::json(200, {{"ok", true}});
    for (auto& c : session_clear_cookies(s.web.session)) r.set_cookies.push_back(std::move(c));
    return r;
}

// GET /api/webapp/auth/me — who am I; also re-issues the cookie with a fresh Expires (rolling).
Response me(const Settings& s, const Request& request, const PathParams&) {
    Identity id = require_session(s.web, request);
    auto row = db().exec(me_sql, {id.user_id});
    if (row.rows() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
    auto renewed = renew_session(s.web.session, id.sid);
    if (!renewed) throw HttpError(401, "unauthenticated", "Log in to continue.");
    auto text_or_null = [&](std::string_view column) { return row.is_null(0, column) ? Json(nullptr) : Json(row.get(0, column)); };
    Json subscription = nullptr;
    if (!row.is_null(0, "subscription_status"))
        subscription = {{"status", row.get(0, "subscription_status")}, {"plan_id", row.get(0, "plan_id")},
                        {"ends_at", text_or_null("ends_at")}};
    Json user = {{"id", row.get_int(0, "id")},
                 {"telegram_id", row.get_int(0, "telegram_id")},
                 {"username", text_or_null("username")},
                 {"first_name", row.get(0, "first_name")},
                 {"last_name", text_or_null("last_name")},
                 {"photo_url", text_or_null("photo_url")},
                 {"language", row.get(0, "language")},
                 {"age_verified", row.get_bool(0, "age_verified")}};
    Response r = Response::json(200, {{"user", user},
                                      {"role", id.role},
                                      {"tier", id.tier},
                                      {"subscription", subscription}});
    r.set_cookies.push_back(session_set_cookie(s.web.session, id.sid, renewed->expires, renewed->context));
    return r;
}

// Every route: 100 requests a minute per client address here, nginx's zone in front.
// Every route here sits behind nginx's per-address login limit.
const RoutePolicy limited = body(0).limit("pnptv_auth:100");

const Router<Settings> routes({
    {"GET", std::string(start_path), rate_limited<start>, limited},
    {"POST", std::string(start_path), rate_limited<start>, limited.body(1024)},
    {"GET", std::string(state_path), rate_limited<login_state>, limited},
    // The widget's signed fields in the query are a login: nothing of the URL is logged.
    {"GET", std::string(callback_path), rate_limited<callback>, limited.capability_urls()},
    {"POST", std::string(widget_login_path), rate_limited<login_widget_json>, limited.body(login_body_cap)},
    {"POST", std::string(webapp_login_path), rate_limited<login_webapp>, limited.body(login_body_cap)},
    {"POST", std::string(logout_path), rate_limited<logout>, limited.body(1024)},
    {"GET", std::string(me_path), rate_limited<me>, limited},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    Settings s{DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), r.secret("TELEGRAM_BOT_TOKEN"),
               r.url("TELEGRAM_OAUTH_BASE", "https://oauth.telegram.org"), r.text("TELEGRAM_BOT_USERNAME"),
               r.integer("AUTH_MAX_AGE_SECONDS", 86400, 60, 31536000)};
    return s;
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("auth", routes);
    return f;
}

}  // namespace auth
