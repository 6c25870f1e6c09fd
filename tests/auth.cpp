// Sessions, Telegram login checks, redirects (vectors from docs/protocols.md §1–3), and the auth and
// auth-verify handlers against the run's real PostgreSQL and Redis.
#define BOOST_TEST_MODULE auth
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <ctime>

#include "../functions/auth-verify/handler.hpp"
#include "../functions/auth/handler.hpp"
#include "crypto.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redirect.hpp"
#include "redis.hpp"
#include "session.hpp"
#include "authz.hpp"
#include "bans.hpp"
#include "telegram_auth.hpp"
#include "testing.hpp"
#include "urlencoded.hpp"

using namespace pnptv;
using testing::body_json;
using testing::make_request;

namespace {

const std::string bot_token = "123456:TEST-TOKEN-abc";

const Pairs auth_values = {{"SESSION_SECRETS", "keyboard cat, previous secret"},
                           {"TELEGRAM_BOT_TOKEN", bot_token},
                           {"PUBLIC_BASE_URL", "https://pnptv.test/"},
                           {"COOKIE_SECURE", "true"},
                           {"AUTH_MAX_AGE_SECONDS", "86400"},
                           {"TELEGRAM_OAUTH_BASE", "https://oauth.telegram.test"},
                           {"TELEGRAM_BOT_USERNAME", "PNPtvTestBot"}};
const auto auth_settings = testing::settings<auth::Settings>(auth_values);
const auto verify_settings = testing::settings<auth_verify::Settings>(auth_values);
const WebSettings& web = auth_settings.web;

std::vector<Secret> secrets(std::initializer_list<const char*> values) {
    std::vector<Secret> out;
    for (const char* v : values) out.emplace_back(v);
    return out;
}

long long fresh_telegram_id() {
    auto b = random_bytes(4);
    return 2'000'000'000LL + ((static_cast<unsigned char>(b[0]) << 16) | (static_cast<unsigned char>(b[1]) << 8) |
                              static_cast<unsigned char>(b[2]));
}

// A distinct client address per test, so the rate limit of one never trips another.
std::string fresh_ip() {
    auto b = random_bytes(3);
    return "10." + std::to_string(static_cast<unsigned char>(b[0])) + "." + std::to_string(static_cast<unsigned char>(b[1])) +
           "." + std::to_string(static_cast<unsigned char>(b[2]));
}

Pairs signed_widget_fields(long long telegram_id, long long auth_date = std::time(nullptr)) {
    return testing::signed_widget_fields(bot_token, telegram_id, "Ana", "ana" + std::to_string(telegram_id), auth_date);
}

Json as_json(const Pairs& fields) { return testing::widget_json(fields); }

// "connect.sid=<value>" from a Set-Cookie.
std::string cookie_pair(const std::string& set_cookie) { return set_cookie.substr(0, set_cookie.find(';')); }
std::string cookie_value(const std::string& set_cookie) {
    std::string pair = cookie_pair(set_cookie);
    return pair.substr(pair.find('=') + 1);
}

// The state the login page asks for before showing the widget: a value and its cookie.
std::pair<std::string, std::string> login_state() {
    Request req = make_request("GET", "/api/webapp/auth/telegram/state");
    req.remote_addr = fresh_ip();
    auto r = auth::handle(auth_settings, req);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 1u);
    BOOST_TEST(r.set_cookies[0].find("__Host-pnptv_login_state=") == 0u);  // https: no subdomain can plant it
    BOOST_TEST(r.set_cookies[0].find("; Path=/;") != std::string::npos);
    BOOST_TEST(r.set_cookies[0].find("; Secure") != std::string::npos);
    BOOST_TEST(r.set_cookies[0].find("; HttpOnly") != std::string::npos);
    BOOST_TEST(r.set_cookies[0].find("; SameSite=Lax") != std::string::npos);
    BOOST_TEST(body_json(r)["bot_username"] == "PNPtvTestBot");  // the login widget's bot
    return {body_json(r)["state"].get<std::string>(), cookie_pair(r.set_cookies[0])};
}

// A widget login as the page makes it: the state it asked for first, then the signed fields.
Request login_request(const Pairs& fields, const std::string& ip, const std::string& cookie = {}) {
    auto [state, state_cookie] = login_state();
    Pairs headers = {{"content-type", "application/json"}, {"cookie", state_cookie + (cookie.empty() ? "" : "; " + cookie)}};
    Request r = make_request("POST", "/api/webapp/auth/telegram?state=" + state, as_json(fields).dump(), headers);
    r.remote_addr = ip;
    return r;
}


struct LoggedIn {
    long long telegram_id;
    long long user_id;
    std::string cookie;  // "connect.sid=…"
    std::string sid;
};

LoggedIn log_in(long long telegram_id = fresh_telegram_id()) {
    auto r = auth::handle(auth_settings, login_request(signed_widget_fields(telegram_id), fresh_ip()));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 2u);  // the session, and the used state cleared
    LoggedIn in;
    in.telegram_id = telegram_id;
    in.user_id = body_json(r)["user"]["id"].get<long long>();
    in.cookie = cookie_pair(r.set_cookies[0]);
    in.sid = *unsign_session_cookie(cookie_value(r.set_cookies[0]), web.session.secrets);
    return in;
}

// The guard's answer for a page load: both ways auth-verify can give it (the routed handler, and
// the fast path nginx's subrequest takes, fed the parameters as nginx sends them, REQUEST_URI
// twice) must agree; the routed Response is returned.
Response verify_with(const std::string& cookie, const std::string& original_uri = "/hub/") {
    Pairs headers = {{"x-original-uri", original_uri}};
    if (!cookie.empty()) headers.emplace_back("cookie", cookie);
    Response routed = auth_verify::handle(verify_settings, make_request("GET", "/api/webapp/auth/verify", {}, headers));
    std::vector<std::string> params = {"REQUEST_METHOD=GET", "REQUEST_URI=/hub/", "HTTP_X_ORIGINAL_URI=" + original_uri,
                                       "REQUEST_URI=/api/webapp/auth/verify"};
    if (!cookie.empty()) params.push_back("HTTP_COOKIE=theme=dark; " + cookie);
    std::vector<char*> envp;
    for (auto& p : params) envp.push_back(p.data());
    envp.push_back(nullptr);
    auto raw = auth_verify::handle_subrequest(verify_settings, envp.data());
    BOOST_TEST_REQUIRE(raw.has_value());
    BOOST_TEST(raw->rfind("Status: " + std::to_string(routed.status) + " ", 0) == 0u, *raw);
    BOOST_TEST(raw->find("\r\n\r\n") == raw->size() - 4);  // no body
    for (const char* h : {"X-User-Id", "X-User-Role", "X-User-Tier", "X-Login-Redirect"}) {
        auto value = routed.header(h);
        BOOST_TEST((raw->find("\r\n" + std::string(h) + ": " + value.value_or("") + "\r\n") != std::string::npos) ==
                       value.has_value(), h << " in " << *raw);
    }
    return routed;
}

}  // namespace

// ---------------------------------------------------------------- docs/protocols.md §1: sessions
BOOST_AUTO_TEST_SUITE(session_cookies)

const std::string vector_sid = "q8Jx0Zr3m5Vt1NwYbE2kLp7sHd9fGa4c";
const std::string vector_cookie =
    "s%3Aq8Jx0Zr3m5Vt1NwYbE2kLp7sHd9fGa4c.KPrTUU6cBj45Hs5LiOR9rE1stVCSpO3CVGRDNRKFneU";

BOOST_AUTO_TEST_CASE(signs_like_express_session) {
    BOOST_TEST(sign_sid(vector_sid, "keyboard cat") ==
               "q8Jx0Zr3m5Vt1NwYbE2kLp7sHd9fGa4c.KPrTUU6cBj45Hs5LiOR9rE1stVCSpO3CVGRDNRKFneU");
    BOOST_TEST(session_cookie_value(vector_sid, "keyboard cat") == vector_cookie);
    auto cookies = make_request("GET", "/", {}, {{"cookie", "connect.sid=" + vector_cookie}}).cookies;
    BOOST_TEST(*unsign_session_cookie(*find_value(cookies, "connect.sid"), secrets({"keyboard cat"})) == vector_sid);
}

BOOST_AUTO_TEST_CASE(a_changed_signature_is_no_session) {
    std::string tampered = vector_cookie;
    tampered.back() = tampered.back() == 'U' ? 'V' : 'U';
    BOOST_TEST(!unsign_session_cookie(tampered, secrets({"keyboard cat"})));
}

BOOST_AUTO_TEST_CASE(rotation_any_secret_verifies) {
    BOOST_TEST(*unsign_session_cookie(vector_cookie, secrets({"new secret", "keyboard cat"})) == vector_sid);
    BOOST_TEST(!unsign_session_cookie(vector_cookie, secrets({"new secret"})));
}

BOOST_AUTO_TEST_CASE(malformed_cookies_are_no_session) {
    for (std::string bad : {std::string("q8Jx0Zr3m5Vt1NwYbE2kLp7sHd9fGa4c.KPrTUU6cBj45Hs5LiOR9rE1stVCSpO3CVGRDNRKFneU"),  // unsigned prefix
                            std::string("s%3Aq8Jx0Zr3m5Vt1NwYbE2kLp7sHd9fGa4c"),                                      // no dot
                            std::string("s%3A.KPrTUU6cBj45Hs5LiOR9rE1stVCSpO3CVGRDNRKFneU"),                         // empty sid
                            std::string("s%3Aq8Jx.!!!"), std::string("s%3A%zz.x"), std::string(""), std::string("s:"),
                            std::string("s%3Aa%0Ab.KPrTUU6cBj45Hs5LiOR9rE1stVCSpO3CVGRDNRKFneU"),
                            "s%3A" + std::string(600, 'A') + ".x"})
        BOOST_TEST(!unsign_session_cookie(bad, secrets({"keyboard cat"})), bad);
}

BOOST_AUTO_TEST_CASE(new_sids_are_32_url_safe_characters) {
    std::string a = new_sid(), b = new_sid();
    BOOST_TEST(a.size() == 32u);
    BOOST_TEST(a != b);
}

BOOST_AUTO_TEST_CASE(session_json_has_the_express_shape) {
    using namespace std::chrono;
    SessionUser u;
    u.id = 17;
    u.telegram_id = 123456789;
    u.username = "ana";
    u.first_name = "Ana";
    u.language = "es";
    Json doc = session_document(u, sys_days{year{2026} / 12 / 2} + hours{10}, 604800, true);
    BOOST_TEST(doc["cookie"]["originalMaxAge"] == 604800000LL);
    BOOST_TEST(doc["cookie"]["expires"] == "2026-12-02T10:00:00.000Z");
    BOOST_TEST(doc["cookie"]["httpOnly"] == true);
    BOOST_TEST(doc["cookie"]["sameSite"] == "lax");
    BOOST_TEST(doc["cookie"]["path"] == "/");
    BOOST_TEST(doc["user"]["id"] == 17);
    BOOST_TEST(doc["user"]["role"] == "user");
    BOOST_TEST(doc["user"]["tier"] == "free");
    BOOST_TEST(doc["user"]["language"] == "es");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- docs/protocols.md §2: login widget
BOOST_AUTO_TEST_SUITE(login_widget)

const Pairs vector_fields = {{"id", "42"},
                             {"first_name", "Ana"},
                             {"username", "ana"},
                             {"photo_url", "https://t.me/i/userpic/320/ana.jpg"},
                             {"auth_date", "1700000000"},
                             {"hash", "f815b069cb9dbbef21ef43804dafa5a055ec1c668945d4f33182025fa041e3b4"}};

BOOST_AUTO_TEST_CASE(the_vector_verifies) {
    auto r = verify_login_widget(vector_fields, bot_token, 1700000000 + 5, 86400);
    BOOST_TEST((r.result == TelegramAuthResult::ok));
    BOOST_TEST(r.user.id == 42);
    BOOST_TEST(r.user.username == "ana");
}

BOOST_AUTO_TEST_CASE(forged_hash_and_changed_field_fail) {
    Pairs forged = vector_fields;
    forged.back().second[0] = forged.back().second[0] == 'f' ? 'e' : 'f';
    BOOST_TEST((verify_login_widget(forged, bot_token, 1700000000, 86400).result == TelegramAuthResult::bad_hash));
    Pairs changed = vector_fields;
    changed[0].second = "43";
    BOOST_TEST((verify_login_widget(changed, bot_token, 1700000000, 86400).result == TelegramAuthResult::bad_hash));
    BOOST_TEST((verify_login_widget(vector_fields, "123456:OTHER", 1700000000, 86400).result == TelegramAuthResult::bad_hash));
}

BOOST_AUTO_TEST_CASE(stale_and_future_auth_dates_fail) {
    BOOST_TEST((verify_login_widget(vector_fields, bot_token, 1700000000 + 86401, 86400).result == TelegramAuthResult::stale));
    BOOST_TEST((verify_login_widget(vector_fields, bot_token, 1700000000 + 86400, 86400).result == TelegramAuthResult::ok));
    BOOST_TEST((verify_login_widget(vector_fields, bot_token, 1700000000 - 61, 86400).result == TelegramAuthResult::future));
    BOOST_TEST((verify_login_widget(vector_fields, bot_token, 1700000000 - 59, 86400).result == TelegramAuthResult::ok));
}

BOOST_AUTO_TEST_CASE(missing_duplicate_and_oversize_fields_fail) {
    for (const char* name : {"hash", "auth_date", "id"}) {
        Pairs f;
        for (auto& kv : vector_fields)
            if (kv.first != name) f.push_back(kv);
        auto r = verify_login_widget(f, bot_token, 1700000000, 86400);
        BOOST_TEST((r.result == TelegramAuthResult::missing_field), name);
        BOOST_TEST(r.field == name);
    }
    Pairs dup = vector_fields;
    dup.emplace_back("id", "43");
    auto d = verify_login_widget(dup, bot_token, 1700000000, 86400);
    BOOST_TEST((d.result == TelegramAuthResult::duplicate_field));
    BOOST_TEST(d.field == "id");
    Pairs big = vector_fields;
    big.emplace_back("bio", std::string(5000, 'x'));
    BOOST_TEST((verify_login_widget(big, bot_token, 1700000000, 86400).result == TelegramAuthResult::bad_field));
    Pairs many = vector_fields;
    for (int i = 0; i < 40; ++i) many.emplace_back("f" + std::to_string(i), "v");
    BOOST_TEST((verify_login_widget(many, bot_token, 1700000000, 86400).result == TelegramAuthResult::bad_field));
    Pairs bad_utf8 = vector_fields;
    bad_utf8[1].second = "\xff\xfe";
    BOOST_TEST((verify_login_widget(bad_utf8, bot_token, 1700000000, 86400).result == TelegramAuthResult::bad_field));
}

BOOST_AUTO_TEST_CASE(json_fields_use_decimal_text_for_numbers) {
    Json j = {{"id", 42}, {"first_name", "Ana"}, {"username", "ana"}, {"photo_url", "https://t.me/i/userpic/320/ana.jpg"},
              {"auth_date", 1700000000}, {"hash", "f815b069cb9dbbef21ef43804dafa5a055ec1c668945d4f33182025fa041e3b4"}};
    auto fields = login_fields_from_json(j);
    BOOST_REQUIRE(fields);
    BOOST_TEST((verify_login_widget(*fields, bot_token, 1700000000, 86400).result == TelegramAuthResult::ok));
    BOOST_TEST(!login_fields_from_json(Json::array()));
    BOOST_TEST(!login_fields_from_json({{"id", 4.2}}));
    BOOST_TEST(!login_fields_from_json({{"id", {{"x", 1}}}}));
    BOOST_TEST(!login_fields_from_json({{"id", true}}));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- docs/protocols.md §3: Mini App initData
BOOST_AUTO_TEST_SUITE(webapp_init_data)

const std::string vector_init_data =
    "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A42%2C%22first_name%22%3A%22Ana%22%2C%22last_name%22%3A%22%22%2C%"
    "22username%22%3A%22ana%22%2C%22language_code%22%3A%22es%22%2C%22allows_write_to_pm%22%3Atrue%7D&auth_date="
    "1700000000&hash=378a9c088b709f27344b4ab2b2ff98952882237b8478d00f10f7080226fd6746";

BOOST_AUTO_TEST_CASE(the_vector_verifies) {
    auto pairs = parse_urlencoded(vector_init_data);
    BOOST_TEST(data_check_string(*pairs) ==
               "auth_date=1700000000\nquery_id=AAHdF6IQAAAAAN0XohDhrOrc\nuser={\"id\":42,\"first_name\":\"Ana\","
               "\"last_name\":\"\",\"username\":\"ana\",\"language_code\":\"es\",\"allows_write_to_pm\":true}");
    auto r = verify_webapp_init_data(vector_init_data, bot_token, 1700000000, 86400);
    BOOST_TEST((r.result == TelegramAuthResult::ok));
    BOOST_TEST(r.user.id == 42);
    BOOST_TEST(r.user.language_code == "es");
}

BOOST_AUTO_TEST_CASE(tampering_and_age_fail) {
    std::string tampered = vector_init_data;
    tampered.replace(tampered.find("Ana"), 3, "Eve");
    BOOST_TEST((verify_webapp_init_data(tampered, bot_token, 1700000000, 86400).result == TelegramAuthResult::bad_hash));
    BOOST_TEST((verify_webapp_init_data(vector_init_data, bot_token, 1700000000 + 90000, 86400).result ==
                TelegramAuthResult::stale));
    // The widget's key does not verify initData (and vice versa).
    auto pairs = parse_urlencoded(vector_init_data);
    BOOST_TEST((verify_login_widget(*pairs, bot_token, 1700000000, 86400).result != TelegramAuthResult::ok));
    BOOST_TEST((verify_webapp_init_data("user=%zz&hash=1", bot_token, 1700000000, 86400).result ==
                TelegramAuthResult::bad_field));
    BOOST_TEST((verify_webapp_init_data(vector_init_data + "&auth_date=1", bot_token, 1700000000, 86400).result ==
                TelegramAuthResult::duplicate_field));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- redirects
BOOST_AUTO_TEST_CASE(redirect_targets_are_same_site_paths_only) {
    for (const char* ok : {"/hub/", "/media/live/?stream=3", "/portal/x%20y"}) BOOST_TEST(safe_redirect_target(ok) == ok);
    for (const char* bad : {"//evil.example", "https://evil.example", "/\\evil", "\\\\evil", "/%2F/evil.example",
                            "/%5Cevil", "%2F%2Fevil.example", "/%252F%252Fevil", "javascript:alert(1)", "", "hub/",
                            "/ /evil", "/\t/evil", "/%09/evil", "/%zz"})
        BOOST_TEST(safe_redirect_target(bad) == "/hub/", bad);
}

// ---------------------------------------------------------------- functions/auth and auth-verify
BOOST_AUTO_TEST_SUITE(handlers)

BOOST_AUTO_TEST_CASE(widget_login_creates_user_session_and_cookie) {
    long long tg = fresh_telegram_id();
    auto r = auth::handle(auth_settings, login_request(signed_widget_fields(tg), fresh_ip()));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    const std::string& c = r.set_cookies.at(0);
    BOOST_TEST(c.rfind("connect.sid=s%3A", 0) == 0u);
    for (const char* attr : {"; Path=/", "; Expires=", "; HttpOnly", "; Secure", "; SameSite=Lax"})
        BOOST_TEST(c.find(attr) != std::string::npos, attr);
    auto sid = unsign_session_cookie(cookie_value(c), web.session.secrets);
    BOOST_REQUIRE(sid);
    BOOST_TEST(sid->size() == 32u);
    auto stored = redis().command({"GET", "sess:" + *sid});
    Json doc = Json::parse(stored.str());
    BOOST_TEST(doc["user"]["telegram_id"] == tg);
    BOOST_TEST(doc["cookie"]["httpOnly"] == true);
    long long ttl = redis().command({"TTL", "sess:" + *sid}).integer();
    BOOST_TEST((ttl > 604000 && ttl <= 604800));
    BOOST_TEST(db().exec("SELECT 1 FROM users WHERE telegram_id = $1", {tg}).rows() == 1);
    BOOST_TEST(body_json(r)["redirect"] == "/hub/");
}

BOOST_AUTO_TEST_CASE(guard_accepts_a_valid_session_with_user_headers) {
    auto in = log_in();
    auto r = verify_with(in.cookie);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(*r.header("X-User-Id") == std::to_string(in.user_id));
    BOOST_TEST(*r.header("X-User-Role") == "user");
    BOOST_TEST(*r.header("X-User-Tier") == "free");
}

BOOST_AUTO_TEST_CASE(guard_refuses_bad_cookies_with_the_login_location) {
    auto in = log_in();
    std::string tampered = in.cookie;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    std::string unsigned_cookie = "connect.sid=" + in.sid;
    std::string unknown = "connect.sid=" + session_cookie_value(new_sid(), "keyboard cat");
    for (const std::string& c : {std::string(), tampered, unsigned_cookie, unknown, std::string("connect.sid=s%3A")}) {
        auto r = verify_with(c, "/hub/x?y=1");
        BOOST_TEST(r.status == 401, c);
        BOOST_TEST(*r.header("X-Login-Redirect") == "/auth/?redirect=%2Fhub%2Fx%3Fy%3D1");
    }
    BOOST_TEST(*verify_with("", "//evil.example").header("X-Login-Redirect") == "/auth/?redirect=%2Fhub%2F");
}

BOOST_AUTO_TEST_CASE(only_nginx_subrequests_take_the_fast_path) {
    // A direct call (no X-Original-URI), another method or path: the routed handler answers,
    // with the JSON error body an API call expects.
    for (std::vector<std::string> params : {std::vector<std::string>{"REQUEST_METHOD=GET", "REQUEST_URI=/api/webapp/auth/verify"},
                                            {"REQUEST_METHOD=POST", "REQUEST_URI=/api/webapp/auth/verify", "HTTP_X_ORIGINAL_URI=/hub/"},
                                            {"REQUEST_METHOD=GET", "REQUEST_URI=/api/webapp/auth/verify/x", "HTTP_X_ORIGINAL_URI=/"}}) {
        std::vector<char*> envp;
        for (auto& p : params) envp.push_back(p.data());
        envp.push_back(nullptr);
        BOOST_TEST(!auth_verify::handle_subrequest(verify_settings, envp.data()).has_value());
    }
    auto direct = auth_verify::handle(verify_settings, make_request("GET", "/api/webapp/auth/verify"));
    BOOST_TEST(direct.status == 401);
    BOOST_TEST(body_json(direct)["error"]["code"] == "unauthenticated");
}

BOOST_AUTO_TEST_CASE(expired_session_is_refused) {
    auto in = log_in();
    redis().command({"PEXPIRE", "sess:" + in.sid, "1"});
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return redis().command({"EXISTS", "sess:" + in.sid}).integer() == 0; }));
    BOOST_TEST(verify_with(in.cookie).status == 401);
}

// A change made in PostgreSQL, with the record written after the commit as the code paths do.
void change_user(long long user_id, const std::string& set) {
    db().exec("UPDATE users SET " + set + " WHERE id = $1", {user_id});
    project_users_now({user_id});
}

BOOST_AUTO_TEST_CASE(ban_and_tier_change_show_at_the_next_request) {
    auto in = log_in();
    auto other = log_in(in.telegram_id);  // a second browser
    change_user(in.user_id, "tier = 'prime'");
    BOOST_TEST(*verify_with(in.cookie).header("X-User-Tier") == "prime");
    BanOutcome ban = set_ban(in.user_id, true, "spam", std::nullopt, Json::object());
    BOOST_TEST(ban.changed);
    BOOST_TEST(ban.sessions_ended == 2);
    BOOST_TEST(verify_with(in.cookie).status == 401);
    BOOST_TEST(verify_with(other.cookie).status == 401);
    BOOST_TEST(redis().command({"EXISTS", "sess:" + other.sid}).integer() == 0);
    BOOST_TEST(db().exec("SELECT count(*) FROM audit_log WHERE action = 'user.ban' AND subject_id = $1",
                         {std::to_string(in.user_id)}).get_int(0, 0) == 1);
    // A banned user can't log in again either.
    auto again = auth::handle(auth_settings, login_request(signed_widget_fields(in.telegram_id), fresh_ip()));
    BOOST_TEST(again.status == 403);
    BOOST_TEST(body_json(again)["error"]["code"] == "banned");
    BOOST_TEST(again.set_cookies.empty());
    // Unban: a new login works at once; the ended sessions stay ended.
    BOOST_TEST(set_ban(in.user_id, false, "", std::nullopt, Json::object()).changed);
    BOOST_TEST(verify_with(other.cookie).status == 401);
    BOOST_TEST(verify_with(log_in(in.telegram_id).cookie).status == 200);
}

BOOST_AUTO_TEST_CASE(a_user_without_an_authorisation_record_is_denied) {
    auto in = log_in();
    BOOST_TEST(verify_with(in.cookie).status == 200);
    redis().command({"DEL", "user:" + std::to_string(in.user_id) + ":authz"});
    BOOST_TEST(verify_with(in.cookie).status == 401);  // fail closed
    project_users_now({in.user_id});
    BOOST_TEST(verify_with(in.cookie).status == 200);
}

BOOST_AUTO_TEST_CASE(sessions_minted_by_the_node_stack_verify) {
    // node-postgres hands bigint ids over as strings; the Node stack's JSON carries extra keys.
    long long tg = fresh_telegram_id();
    long long user = db().exec("INSERT INTO users (telegram_id, first_name, role, tier) VALUES ($1, 'Node', 'admin', 'prime') "
                               "RETURNING id", {tg}).get_int(0, 0);
    project_users_now({user});
    std::string sid = new_sid();
    Json doc = {{"cookie", {{"originalMaxAge", 86400000}, {"expires", "2030-01-01T00:00:00.000Z"}, {"httpOnly", true}, {"path", "/"}}},
                {"user", {{"id", std::to_string(user)}, {"role", "user"}, {"tier", "free"}}},
                {"flash", {{"info", "hi"}}}};
    redis().command({"SET", "sess:" + sid, doc.dump(), "EX", "3600"});
    auto r = verify_with("connect.sid=" + session_cookie_value(sid, "previous secret"));
    BOOST_TEST(r.status == 200);
    BOOST_TEST(*r.header("X-User-Id") == std::to_string(user));
    BOOST_TEST(*r.header("X-User-Role") == "admin");  // the record's, never the session's own claim
    BOOST_TEST(*r.header("X-User-Tier") == "prime");
    // A ban applies to it at once: it is in no index of ours, but the record stops it.
    set_ban(user, true, "", std::nullopt, Json::object());
    BOOST_TEST(verify_with("connect.sid=" + session_cookie_value(sid, "keyboard cat")).status == 401);
    // A session of a user PostgreSQL has no record of is refused.
    redis().command({"SET", "sess:" + sid, R"({"user":{"id":"987654321987","role":"admin","tier":"prime"}})", "EX", "60"});
    BOOST_TEST(verify_with("connect.sid=" + session_cookie_value(sid, "keyboard cat")).status == 401);
    // Unusable user ids are no session.
    redis().command({"SET", "sess:" + sid, R"({"user":{"id":"1 or 1=1"}})", "EX", "60"});
    BOOST_TEST(verify_with("connect.sid=" + session_cookie_value(sid, "keyboard cat")).status == 401);
    redis().command({"SET", "sess:" + sid, "not json", "EX", "60"});
    BOOST_TEST(verify_with("connect.sid=" + session_cookie_value(sid, "keyboard cat")).status == 401);
}

BOOST_AUTO_TEST_CASE(guard_refreshes_the_ttl_at_most_once_a_minute) {
    auto in = log_in();
    redis().command({"EXPIRE", "sess:" + in.sid, "604780"});  // 20 s used: no refresh yet
    verify_with(in.cookie);
    BOOST_TEST(redis().command({"TTL", "sess:" + in.sid}).integer() <= 604780);
    redis().command({"EXPIRE", "sess:" + in.sid, "1000"});  // long unused: refreshed
    verify_with(in.cookie);
    BOOST_TEST(redis().command({"TTL", "sess:" + in.sid}).integer() > 604000);
}

BOOST_AUTO_TEST_CASE(login_rotates_the_session) {
    auto first = log_in();
    auto r = auth::handle(auth_settings, login_request(signed_widget_fields(first.telegram_id), fresh_ip(), first.cookie));
    BOOST_TEST_REQUIRE(r.status == 200);
    auto new_sid = unsign_session_cookie(cookie_value(r.set_cookies.at(0)), web.session.secrets);
    BOOST_TEST(*new_sid != first.sid);
    BOOST_TEST(redis().command({"EXISTS", "sess:" + first.sid}).integer() == 0);
    BOOST_TEST(verify_with(first.cookie).status == 401);
}

BOOST_AUTO_TEST_CASE(logout_destroys_the_session_and_clears_the_cookie) {
    auto in = log_in();
    auto r = auth::handle(auth_settings, make_request("POST", "/api/webapp/auth/logout", {}, {{"cookie", in.cookie}}));
    BOOST_TEST(r.status == 200);
    // Both kinds of session cookie are cleared: the site's and a Mini App's partitioned one.
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 2u);
    for (const auto& c : r.set_cookies) {
        BOOST_TEST(c.find("connect.sid=;") == 0u);
        BOOST_TEST(c.find("Expires=Thu, 01 Jan 1970") != std::string::npos);
    }
    BOOST_TEST(r.set_cookies[0].find("; SameSite=Lax") != std::string::npos);
    BOOST_TEST(r.set_cookies[1].find("; Secure; SameSite=None; Partitioned") != std::string::npos);
    BOOST_TEST(redis().command({"EXISTS", "sess:" + in.sid}).integer() == 0);
    BOOST_TEST(verify_with(in.cookie).status == 401);
    // Without a session it still answers and clears.
    BOOST_TEST(auth::handle(auth_settings, make_request("POST", "/api/webapp/auth/logout")).status == 200);
}

BOOST_AUTO_TEST_CASE(me_answers_and_rolls_the_cookie) {
    BOOST_TEST(auth::handle(auth_settings, make_request("GET", "/api/webapp/auth/me")).status == 401);
    auto in = log_in();
    redis().command({"HSET", "sess:x", "a", "b"});  // unrelated junk in Redis changes nothing
    std::string raw = redis().command({"GET", "sess:" + in.sid}).str();
    Json doc = Json::parse(raw);
    doc["legacy"] = "kept";
    redis().command({"SET", "sess:" + in.sid, doc.dump(), "EX", "5000"});
    auto r = auth::handle(auth_settings, make_request("GET", "/api/webapp/auth/me", {}, {{"cookie", in.cookie}}));
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    auto j = body_json(r);
    BOOST_TEST(j["user"]["telegram_id"] == in.telegram_id);
    BOOST_TEST(j["role"] == "user");
    BOOST_TEST(j["tier"] == "free");
    BOOST_TEST(j["subscription"].is_null());
    BOOST_TEST(r.set_cookies.size() == 1u);
    BOOST_TEST(redis().command({"TTL", "sess:" + in.sid}).integer() > 600000);
    BOOST_TEST(Json::parse(redis().command({"GET", "sess:" + in.sid}).str())["legacy"] == "kept");
}

BOOST_AUTO_TEST_CASE(webapp_login_with_fresh_init_data) {
    long long tg = fresh_telegram_id();
    Pairs pairs = {{"auth_date", std::to_string(std::time(nullptr))},
                   {"query_id", "AAH"},
                   {"user", Json({{"id", tg}, {"first_name", "Eva"}, {"language_code", "es-CO"}}).dump()}};
    std::string init;
    for (auto& [k, v] : pairs) init += k + "=" + percent_encode(v) + "&";
    init += "hash=" + to_hex(hmac_sha256(hmac_sha256("WebAppData", bot_token), data_check_string(pairs)));
    Request req = make_request("POST", "/api/webapp/auth/webapp", Json({{"initData", init}}).dump(),
                               {{"content-type", "application/json"}});
    req.remote_addr = fresh_ip();
    auto r = auth::handle(auth_settings, req);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(body_json(r)["user"]["language"] == "es");
    // Telegram's web client shows the Mini App in a cross-site iframe, where only a partitioned
    // SameSite=None cookie is sent.
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 1u);
    const std::string& cookie = r.set_cookies[0];
    BOOST_TEST(cookie.find("; HttpOnly; Secure; SameSite=None; Partitioned") != std::string::npos, cookie);
    // Rolled by /me as the same kind of cookie; a widget login's stays Lax and unpartitioned.
    std::string sent = cookie.substr(0, cookie.find(';'));
    auto me = auth::handle(auth_settings, make_request("GET", "/api/webapp/auth/me", {}, {{"cookie", sent}}));
    BOOST_TEST_REQUIRE(me.status == 200, me.body);
    BOOST_TEST(me.set_cookies.at(0).find("; SameSite=None; Partitioned") != std::string::npos, me.set_cookies.at(0));
    auto in = log_in();
    auto site = auth::handle(auth_settings, make_request("GET", "/api/webapp/auth/me", {}, {{"cookie", in.cookie}}));
    BOOST_TEST(site.set_cookies.at(0).find("; SameSite=Lax") != std::string::npos);
    BOOST_TEST(site.set_cookies.at(0).find("Partitioned") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_login_input_is_refused_and_creates_nothing) {
    long long tg = fresh_telegram_id();
    // Each posted as the login page does, with a state of its own.
    auto post = [](const std::string& path, const std::string& body, const std::string& type = "application/json") {
        auto [state, state_cookie] = login_state();
        Request r = make_request("POST", path + "?state=" + state, body, {{"content-type", type}, {"cookie", state_cookie}});
        r.remote_addr = fresh_ip();
        return auth::handle(auth_settings, r);
    };
    Pairs stale = signed_widget_fields(tg, std::time(nullptr) - 90000);
    Pairs future = signed_widget_fields(tg, std::time(nullptr) + 600);
    Pairs forged = signed_widget_fields(tg);
    forged[1].second = "Mallory";
    struct Case { std::string path, body, type; int status; };
    std::vector<Case> cases = {
        {"/api/webapp/auth/telegram", as_json(stale).dump(), "application/json", 401},
        {"/api/webapp/auth/telegram", as_json(future).dump(), "application/json", 401},
        {"/api/webapp/auth/telegram", as_json(forged).dump(), "application/json", 401},
        {"/api/webapp/auth/telegram", "{\"id\":", "application/json", 400},
        {"/api/webapp/auth/telegram", "[1,2,3]", "application/json", 400},
        {"/api/webapp/auth/telegram", R"({"id":"x","auth_date":[],"hash":{}})", "application/json", 400},
        {"/api/webapp/auth/telegram", "{}", "application/json", 400},
        {"/api/webapp/auth/telegram", "<a/>", "text/xml", 415},
        {"/api/webapp/auth/webapp", R"({"initData":false})", "application/json", 400},
        {"/api/webapp/auth/webapp", R"({"initData":""})", "application/json", 400},
        {"/api/webapp/auth/webapp", R"({"initData":"user=%zz"})", "application/json", 400},
        {"/api/webapp/auth/webapp", R"({"first_name":"\u00ff"})", "application/json", 400},
    };
    for (const auto& c : cases) {
        auto r = post(c.path, c.body, c.type);
        BOOST_TEST(r.status == c.status, c.path << " " << c.body);
        BOOST_TEST(body_json(r)["error"]["code"].is_string());
        BOOST_TEST(r.set_cookies.empty());
    }
    // Good fields without the state this browser was given: login CSRF, refused.
    Request no_state = make_request("POST", "/api/webapp/auth/telegram", as_json(signed_widget_fields(tg)).dump(),
                                    {{"content-type", "application/json"}});
    no_state.remote_addr = fresh_ip();
    auto refused = auth::handle(auth_settings, no_state);
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(body_json(refused)["error"]["code"] == "login_state_mismatch");
    BOOST_TEST(db().exec("SELECT 1 FROM users WHERE telegram_id = $1", {tg}).rows() == 0);
}

BOOST_AUTO_TEST_CASE(oversize_login_body_is_413) {
    Request r = make_request("POST", "/api/webapp/auth/telegram", {}, {{"content-length", "2000000"}, {"content-type", "application/json"}});
    auto resp = serve(auth::function(), r, [](char*, size_t) { return size_t{0}; });
    BOOST_TEST(resp.status == 413);
}

BOOST_AUTO_TEST_CASE(start_redirects_to_telegram_with_the_callback) {
    Request req = make_request("GET", "/api/webapp/auth/telegram/start?redirect=%2Fmedia%2F");
    req.remote_addr = fresh_ip();
    auto r = auth::handle(auth_settings, req);
    BOOST_TEST(r.status == 302);
    std::string loc = *r.header("Location");
    BOOST_TEST(loc.rfind("https://oauth.telegram.test/auth?bot_id=123456&origin=https%3A%2F%2Fpnptv.test&request_access=write&return_to=", 0) == 0u, loc);
    BOOST_TEST(loc.find(percent_encode("https://pnptv.test/api/webapp/auth/telegram/callback?redirect=%2Fmedia%2F")) != std::string::npos, loc);
    Request evil = make_request("GET", "/api/webapp/auth/telegram/start?redirect=%2F%2Fevil.example");
    evil.remote_addr = fresh_ip();
    BOOST_TEST(auth::handle(auth_settings, evil).header("Location")->find("evil") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(callback_logs_in_from_the_query_or_sends_the_fragment_on_to_the_login_page) {
    long long tg = fresh_telegram_id();
    std::string query;
    for (auto& [k, v] : signed_widget_fields(tg)) query += k + "=" + percent_encode(v) + "&";
    auto [state, state_cookie] = login_state();
    Request req = make_request("GET", "/api/webapp/auth/telegram/callback?" + query + "state=" + state + "&redirect=%2Fportal%2F", {},
                               {{"cookie", state_cookie}});
    req.remote_addr = fresh_ip();
    auto r = auth::handle(auth_settings, req);
    BOOST_TEST_REQUIRE(r.status == 302, r.body);
    BOOST_TEST(*r.header("Location") == "/portal/");
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 2u);
    BOOST_TEST(r.set_cookies[0].find("connect.sid=s%3A") == 0u);
    BOOST_TEST(r.set_cookies[1].find("__Host-pnptv_login_state=;") == 0u);  // used once
    for (const char* target : {"%2F%2Fevil.example", "https%3A%2F%2Fevil.example", "%2F%5Cevil", "%2F%252F%252Fevil"}) {
        Request again = make_request("GET", "/api/webapp/auth/telegram/callback?" + query + "state=" + state + "&redirect=" + target,
                                     {}, {{"cookie", state_cookie}});
        again.remote_addr = fresh_ip();
        auto a = auth::handle(auth_settings, again);
        BOOST_TEST(*a.header("Location") == "/hub/", target);
    }
    // The OAuth redirect (fields in the fragment, which the browser keeps over a redirect): to the
    // login page, whose script posts them, with our state and a safe target; no page of its own
    // (no script served from a function).
    Request bare = make_request("GET", "/api/webapp/auth/telegram/callback?redirect=%2F%2Fevil.example&state=" + state);
    bare.remote_addr = fresh_ip();
    auto page = auth::handle(auth_settings, bare);
    BOOST_TEST(page.status == 302);
    BOOST_TEST(*page.header("Location") == "/auth/?redirect=%2Fhub%2F&state=" + state);
    BOOST_TEST(page.set_cookies.empty());
    Request no_state = make_request("GET", "/api/webapp/auth/telegram/callback?redirect=%2Fmedia%2Fradio%2F");
    no_state.remote_addr = fresh_ip();
    BOOST_TEST(*auth::handle(auth_settings, no_state).header("Location") == "/auth/?redirect=%2Fmedia%2Fradio%2F&state=");
}

BOOST_AUTO_TEST_CASE(a_callback_the_browser_did_not_start_logs_nobody_in) {
    // Login CSRF: a page elsewhere sends the victim's browser to the callback with the attacker's
    // own signed fields. Without this browser's state (or with another one) nothing happens.
    long long attacker = fresh_telegram_id();
    std::string query;
    for (auto& [k, v] : signed_widget_fields(attacker)) query += k + "=" + percent_encode(v) + "&";
    auto [state, state_cookie] = login_state();
    auto [other_state, other_cookie] = login_state();
    const std::vector<std::pair<std::string, std::string>> attempts = {
        {query, ""}, {query + "state=" + state, ""}, {query + "state=" + other_state, state_cookie}, {query, state_cookie}};
    for (const auto& [q, cookie] : attempts) {
        Pairs headers;
        if (!cookie.empty()) headers.emplace_back("cookie", cookie);
        Request req = make_request("GET", "/api/webapp/auth/telegram/callback?" + q, {}, headers);
        req.remote_addr = fresh_ip();
        auto r = auth::handle(auth_settings, req);
        BOOST_TEST(r.status == 403, q);
        BOOST_TEST(body_json(r)["error"]["code"] == "login_state_mismatch");
        BOOST_TEST(r.set_cookies.empty());
    }
    BOOST_TEST(db().exec("SELECT count(*) FROM users WHERE telegram_id = $1", {attacker}).get_int(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(the_oauth_start_binds_its_return_to_this_browser) {
    Request req = make_request("GET", "/api/webapp/auth/telegram/start");
    req.remote_addr = fresh_ip();
    auto r = auth::handle(auth_settings, req);
    BOOST_TEST_REQUIRE(r.set_cookies.size() == 1u);
    std::string state = cookie_value(r.set_cookies[0]);
    BOOST_TEST(state.size() >= 20u);
    BOOST_TEST(r.header("Location")->find(percent_encode("&state=" + state)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(logins_and_logout_from_another_site_are_refused) {
    auto in = log_in();
    Request logout = make_request("POST", "/api/webapp/auth/logout", {}, {{"cookie", in.cookie}, {"origin", "https://evil.example"}});
    logout.remote_addr = fresh_ip();
    auto r = auth::handle(auth_settings, logout);
    BOOST_TEST(r.status == 403);
    BOOST_TEST(body_json(r)["error"]["code"] == "cross_site_request");
    BOOST_TEST(redis().command({"EXISTS", "sess:" + in.sid}).integer() == 1);  // not logged out
    long long tg = fresh_telegram_id();
    Request login = login_request(signed_widget_fields(tg), fresh_ip());
    login.headers.emplace_back("sec-fetch-site", "cross-site");
    BOOST_TEST(auth::handle(auth_settings, login).status == 403);
    BOOST_TEST(db().exec("SELECT count(*) FROM users WHERE telegram_id = $1", {tg}).get_int(0, 0) == 0);
    // The same from the site itself passes.
    Request same = make_request("POST", "/api/webapp/auth/logout", {}, {{"cookie", in.cookie}, {"origin", "https://pnptv.test"}});
    same.remote_addr = fresh_ip();
    BOOST_TEST(auth::handle(auth_settings, same).status == 200);
    BOOST_TEST(redis().command({"EXISTS", "sess:" + in.sid}).integer() == 0);
}

BOOST_AUTO_TEST_CASE(the_101st_request_in_a_minute_is_429) {
    std::string ip = fresh_ip();
    for (int i = 0; i < 100; ++i) {
        Request r = make_request("GET", "/api/webapp/auth/me");
        r.remote_addr = ip;
        BOOST_TEST_REQUIRE(auth::handle(auth_settings, r).status == 401);
    }
    Request r = make_request("GET", "/api/webapp/auth/me");
    r.remote_addr = ip;
    auto limited = auth::handle(auth_settings, r);
    BOOST_TEST(limited.status == 429);
    BOOST_TEST(body_json(limited)["error"]["code"] == "rate_limited");
    long long retry = std::stoll(*limited.header("Retry-After"));
    BOOST_TEST((retry >= 1 && retry <= 60));
    // Another client is unaffected; the guard is never rate limited.
    Request other = make_request("GET", "/api/webapp/auth/me");
    other.remote_addr = fresh_ip();
    BOOST_TEST(auth::handle(auth_settings, other).status == 401);
}

BOOST_AUTO_TEST_CASE(rbac_helpers_answer_401_and_403) {
    auto status_of = [](auto check, const Request& r) {
        try {
            check(web, r);
            return 200;
        } catch (const HttpError& e) {
            return e.status;
        }
    };
    Request anonymous = make_request("GET", "/x");
    BOOST_TEST(status_of(require_session, anonymous) == 401);
    BOOST_TEST(status_of(require_admin, anonymous) == 401);
    BOOST_TEST(status_of(require_prime, anonymous) == 401);
    auto in = log_in();
    Request user = make_request("GET", "/x", {}, {{"cookie", in.cookie}});
    BOOST_TEST(status_of(require_session, user) == 200);
    BOOST_TEST(require_session(web, user).user_id == in.user_id);
    BOOST_TEST(status_of(require_admin, user) == 403);
    BOOST_TEST(status_of(require_prime, user) == 403);
    try {
        require_prime(web, user);
        BOOST_FAIL("require_prime let a free user through");
    } catch (const HttpError& e) {
        BOOST_TEST(e.code == "prime_required");
    }
    change_user(in.user_id, "tier = 'prime'");
    BOOST_TEST(status_of(require_prime, user) == 200);
    BOOST_TEST(status_of(require_admin, user) == 403);
    change_user(in.user_id, "role = 'admin', tier = 'free'");
    BOOST_TEST(status_of(require_admin, user) == 200);
    BOOST_TEST(status_of(require_prime, user) == 200);  // admins pass
    change_user(in.user_id, "banned_at = now()");
    BOOST_TEST(status_of(require_admin, user) == 401);  // banned: no session at all
}

BOOST_AUTO_TEST_SUITE_END()
