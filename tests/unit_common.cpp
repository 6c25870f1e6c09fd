// Unit tests of common/: parsers, router, runtime request building, config, logging, crypto.
#define BOOST_TEST_MODULE unit_common
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>

#include "cookies.hpp"
#include "crypto.hpp"
#include "log.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "router.hpp"
#include "runtime.hpp"
#include "settings.hpp"
#include "smtp.hpp"
#include "testing.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

// ---------------------------------------------------------------- percent-decoding and forms
BOOST_AUTO_TEST_SUITE(urlencoded)

BOOST_AUTO_TEST_CASE(decodes_escapes_and_plus) {
    BOOST_TEST(*percent_decode("a%20b%2Fc") == "a b/c");
    BOOST_TEST(*percent_decode("a+b") == "a+b");
    BOOST_TEST(*percent_decode("a+b", true) == "a b");
    BOOST_TEST(*percent_decode("%e2%82%AC") == "\xE2\x82\xAC");
    BOOST_TEST(*percent_decode("") == "");
}

BOOST_AUTO_TEST_CASE(malformed_escapes_are_reported_not_guessed) {
    for (const char* bad : {"%", "%2", "%zz", "abc%", "%%41", "%G0", "a%2"})
        BOOST_TEST(!percent_decode(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(decodes_nul_as_data) {
    auto v = percent_decode("a%00b");
    BOOST_REQUIRE(v);
    BOOST_TEST(v->size() == 3u);
}

BOOST_AUTO_TEST_CASE(encode_round_trips) {
    std::string all;
    for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
    BOOST_TEST(*percent_decode(percent_encode(all)) == all);
    BOOST_TEST(percent_encode("/hub/?a=1 b") == "%2Fhub%2F%3Fa%3D1%20b");
}

BOOST_AUTO_TEST_CASE(parses_pairs_in_order_with_duplicates) {
    auto p = parse_urlencoded("a=1&b=&c&a=2&&d=x%3Dy+z");
    BOOST_REQUIRE(p);
    Pairs want = {{"a", "1"}, {"b", ""}, {"c", ""}, {"a", "2"}, {"d", "x=y z"}};
    BOOST_TEST((*p == want));
    BOOST_TEST(*find_value(*p, "a") == "1");
}

BOOST_AUTO_TEST_CASE(rejects_bad_escapes_and_too_many_pairs) {
    BOOST_TEST(!parse_urlencoded("x_ref_payco=%zz&x_amount=%").has_value());
    BOOST_TEST(!parse_urlencoded("a=%E0%A4&b=%").has_value());
    std::string many;
    for (int i = 0; i < 300; ++i) many += "p" + std::to_string(i) + "=1&";
    BOOST_TEST(!parse_urlencoded(many).has_value());
    BOOST_TEST(parse_urlencoded(many, 1000).has_value());
    BOOST_TEST(parse_urlencoded("").value().empty());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- cookies
BOOST_AUTO_TEST_SUITE(cookies)

BOOST_AUTO_TEST_CASE(parses_a_cookie_header) {
    auto c = parse_cookie_header("connect.sid=s%3Aabc.def; theme=dark;  lang = es ");
    BOOST_TEST(c.size() == 3u);
    BOOST_TEST(*find_value(c, "connect.sid") == "s%3Aabc.def");
    BOOST_TEST(*find_value(c, "lang") == "es");
}

BOOST_AUTO_TEST_CASE(first_duplicate_wins_and_junk_is_skipped) {
    auto c = parse_cookie_header("connect.sid=s:;connect.sid=%;=;;novalue;x=\"quoted\"");
    BOOST_TEST(*find_value(c, "connect.sid") == "s:");
    BOOST_TEST(*find_value(c, "x") == "quoted");
    BOOST_TEST(!find_value(c, "novalue"));
}

BOOST_AUTO_TEST_CASE(empty_and_huge_cookies_are_bounded) {
    BOOST_TEST(parse_cookie_header("").empty());
    BOOST_TEST(parse_cookie_header(";;;").empty());
    std::string huge = "big=" + std::string(5000, 'y') + "; ok=1";
    auto c = parse_cookie_header(huge);
    BOOST_TEST(c.size() == 1u);
    BOOST_TEST(c[0].first == "ok");
    std::string many;
    for (int i = 0; i < 200; ++i) many += "c" + std::to_string(i) + "=v; ";
    BOOST_TEST(parse_cookie_header(many).size() == 64u);
}

BOOST_AUTO_TEST_CASE(set_cookie_has_every_attribute) {
    using namespace std::chrono;
    auto t = sys_days{year{2026} / 12 / 2} + hours{10};
    CookieOptions o;
    BOOST_TEST(build_set_cookie("connect.sid", "s%3Aa.b", t, o) ==
               "connect.sid=s%3Aa.b; Path=/; Expires=Wed, 02 Dec 2026 10:00:00 GMT; HttpOnly; Secure; SameSite=Lax");
    o.secure = false;
    BOOST_TEST(build_set_cookie("a", "b", t, o).find("Secure") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- router
namespace {
// What a test function's start-up reads: one setting, to show handlers get the value they were given.
struct TestSettings {
    std::string greeting;
    static TestSettings read(SettingsReader& r) { return {r.text("TEST_GREETING", "hello")}; }
};
const TestSettings test_settings{"hola"};

Response echo_params(const TestSettings& s, const Request&, const PathParams& p) {
    Json j = {{"greeting", s.greeting}};
    for (auto& [k, v] : p) j[k] = v;
    return Response::json(200, j);
}
Response throws_http(const TestSettings&, const Request&, const PathParams&) {
    throw HttpError(422, "bad_plan", "No such plan.", "plan_id");
}
Response throws_other(const TestSettings&, const Request&, const PathParams&) {
    throw std::runtime_error("secret detail /root/x.cpp:12");
}
Response small_ok(const TestSettings&, const Request&, const PathParams&) { return Response::json(200, {{"a", 1}}); }

const Router<TestSettings> test_router({
    {"GET", "/api/items/:id", echo_params, body(0).limit("pnptv_api:20")},
    {"POST", "/api/items/:id", echo_params, body(100)},
    {"GET", "/api/items/:id/tags/:tag", echo_params, body(0).capability_urls()},
    {"POST", "/api/fail", throws_http, body(10).internal_only()},
    {"GET", "/api/boom", throws_other, body(0).guard_target()},
    {"POST", "/small", small_ok, body(10)},
    {"GET", "/t", small_ok, body(0)},
});

Response dispatch(const Request& r) { return test_router.dispatch(test_settings, r); }
}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(matches_params_decoded) {
    auto r = dispatch(testing::make_request("GET", "/api/items/a%20b/tags/x"));
    BOOST_TEST(r.status == 200);
    auto j = testing::body_json(r);
    BOOST_TEST(j["id"] == "a b");
    BOOST_TEST(j["tag"] == "x");
    BOOST_TEST(j["greeting"] == "hola");
}

BOOST_AUTO_TEST_CASE(unknown_path_is_json_404) {
    for (const char* p : {"/api/items", "/api/items/", "/api/items/1/", "/nope", "/api/items/1/tags", ""}) {
        auto r = dispatch(testing::make_request("GET", p));
        BOOST_TEST(r.status == 404, p);
        BOOST_TEST(testing::body_json(r)["error"]["code"] == "not_found");
    }
}

BOOST_AUTO_TEST_CASE(wrong_method_is_405_with_allow) {
    auto r = dispatch(testing::make_request("DELETE", "/api/items/7"));
    BOOST_TEST(r.status == 405);
    BOOST_TEST(*r.header("Allow") == "GET, HEAD, POST");
    BOOST_TEST(testing::body_json(r)["error"]["code"] == "method_not_allowed");
}

BOOST_AUTO_TEST_CASE(head_is_served_by_get) {
    BOOST_TEST(dispatch(testing::make_request("HEAD", "/api/items/7")).status == 200);
}

BOOST_AUTO_TEST_CASE(malformed_param_escape_is_400) {
    auto r = dispatch(testing::make_request("GET", "/api/items/%zz"));
    BOOST_TEST(r.status == 400);
    BOOST_TEST(testing::body_json(r)["error"]["code"] == "malformed_path");
}

BOOST_AUTO_TEST_CASE(malformed_query_is_400) {
    auto r = dispatch(testing::make_request("GET", "/api/items/1?id=%zz&hash=%"));
    BOOST_TEST(r.status == 400);
    BOOST_TEST(testing::body_json(r)["error"]["code"] == "malformed_query");
}

BOOST_AUTO_TEST_CASE(http_error_becomes_json_with_field) {
    auto r = dispatch(testing::make_request("POST", "/api/fail"));
    BOOST_TEST(r.status == 422);
    auto j = testing::body_json(r);
    BOOST_TEST(j["error"]["code"] == "bad_plan");
    BOOST_TEST(j["error"]["message"] == "No such plan.");
    BOOST_TEST(j["error"]["field"] == "plan_id");
    BOOST_TEST(*r.header("content-type") == "application/json");
}

BOOST_AUTO_TEST_CASE(other_exceptions_are_500_without_details) {
    auto r = dispatch(testing::make_request("GET", "/api/boom"));
    BOOST_TEST(r.status == 500);
    BOOST_TEST(r.body.find("secret") == std::string::npos);
    BOOST_TEST(r.body.find(".cpp") == std::string::npos);
    BOOST_TEST(testing::body_json(r)["error"]["code"] == "internal_error");
}

BOOST_AUTO_TEST_CASE(describes_its_routes_and_policy_for_nginx) {
    BOOST_TEST(describe_routes(test_router.specs(), {{"/app/"}, {"/live/", true}}) ==
               "route GET /api/items/:id body=0 limit=pnptv_api:20\n"
               "route POST /api/items/:id body=100\n"
               "route GET /api/items/:id/tags/:tag body=0 capability\n"
               "route POST /api/fail body=10 internal\n"
               "route GET /api/boom body=0 guard\n"
               "route POST /small body=10\n"
               "route GET /t body=0\n"
               "guards /app/\n"
               "guards /live/ capability\n");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- runtime: request building, bodies
BOOST_AUTO_TEST_SUITE(runtime)

BOOST_AUTO_TEST_CASE(builds_request_from_cgi_params) {
    std::vector<std::string> env = {"REQUEST_METHOD=POST",
                                    "REQUEST_URI=/api/x?a=1&b=two%20words",
                                    "CONTENT_TYPE=application/json; charset=utf-8",
                                    "CONTENT_LENGTH=2",
                                    "HTTP_COOKIE=connect.sid=abc; t=1",
                                    "HTTP_X_REQUEST_ID=req-42",
                                    "HTTP_X_FORWARDED_FOR=1.2.3.4",
                                    "REMOTE_ADDR=10.0.0.9",
                                    "NOT_A_PAIR"};
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    Request r = request_from_params(envp.data());
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.path == "/api/x");
    BOOST_TEST(*find_value(r.query, "b") == "two words");
    BOOST_TEST(r.media_type() == "application/json");
    BOOST_TEST(*r.cookie("connect.sid") == "abc");
    BOOST_TEST(r.request_id == "req-42");
    BOOST_TEST(*r.header("x-forwarded-for") == "1.2.3.4");
    BOOST_TEST(r.remote_addr == "10.0.0.9");
}

BOOST_AUTO_TEST_CASE(bad_request_id_is_replaced) {
    std::vector<std::string> env = {"REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTP_X_REQUEST_ID=" + std::string(100, 'r')};
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    Request r = request_from_params(envp.data());
    BOOST_TEST(r.request_id.size() == 32u);
    std::string inj = "REQUEST_METHOD=GET";
    std::string id = "HTTP_X_REQUEST_ID=a\"b\nc";
    char* e2[] = {inj.data(), id.data(), nullptr};
    BOOST_TEST(request_from_params(e2).request_id != "a\"b\nc");
}

BOOST_AUTO_TEST_CASE(malformed_query_is_flagged) {
    std::string m = "REQUEST_METHOD=GET", u = "REQUEST_URI=/x?id=%zz";
    char* envp[] = {m.data(), u.data(), nullptr};
    BOOST_TEST(request_from_params(envp).query_malformed);
}

namespace {
std::function<size_t(char*, size_t)> reader(const std::string& data, size_t* reads = nullptr) {
    auto pos = std::make_shared<size_t>(0);
    return [data, pos, reads](char* buf, size_t n) {
        if (reads) ++*reads;
        size_t k = std::min(n, data.size() - *pos);
        std::memcpy(buf, data.data() + *pos, k);
        *pos += k;
        return k;
    };
}
}  // namespace

BOOST_AUTO_TEST_CASE(reads_body_by_content_length) {
    Request r = testing::make_request("POST", "/", {}, {{"content-length", "5"}});
    read_body(r, 100, reader("hello world"));
    BOOST_TEST(r.body == "hello");
}

BOOST_AUTO_TEST_CASE(oversize_body_is_413_without_reading_it) {
    Request r = testing::make_request("POST", "/", {}, {{"content-length", "2000000"}});
    size_t reads = 0;
    try {
        read_body(r, 1024, reader(std::string(2000000, 'x'), &reads));
        BOOST_FAIL("expected 413");
    } catch (const HttpError& e) {
        BOOST_TEST(e.status == 413);
    }
    BOOST_TEST(reads == 0u);
}

BOOST_AUTO_TEST_CASE(oversize_body_without_length_is_413) {
    Request r = testing::make_request("POST", "/");
    try {
        read_body(r, 10, reader(std::string(50, 'x')));
        BOOST_FAIL("expected 413");
    } catch (const HttpError& e) {
        BOOST_TEST(e.status == 413);
    }
}

namespace {
// The HttpError read_body throws for this Content-Length and body (a failed check if none).
std::optional<HttpError> read_body_error(const std::string& content_length, const std::string& body) {
    Request r = testing::make_request("POST", "/", {}, {{"content-length", content_length}});
    try {
        read_body(r, 100, reader(body));
    } catch (const HttpError& e) {
        return e;
    }
    BOOST_ERROR("no error for Content-Length " << content_length);
    return std::nullopt;
}
}  // namespace

BOOST_AUTO_TEST_CASE(bad_content_length_is_400) {
    for (const char* cl : {"abc", "-1", "+5", "1e3", "", " 5", "99999999999999999999"}) {
        auto e = read_body_error(cl, "x");
        BOOST_TEST((e && e->status == 400), cl);
        BOOST_TEST((e && e->code == "bad_content_length"), cl);
    }
}

BOOST_AUTO_TEST_CASE(short_body_is_400) {
    auto e = read_body_error("10", "short");
    BOOST_TEST((e && e->status == 400));
    BOOST_TEST((e && e->code == "truncated_body"));
}

namespace {
Function started_test_function(Pairs settings = {}) {
    Function f = make_function("t", test_router);
    SettingsReader r(std::move(settings));
    f.start(r);
    return f;
}
}  // namespace

BOOST_AUTO_TEST_CASE(serve_adds_request_id_and_no_store) {
    Function f = started_test_function();
    Request req = testing::make_request("GET", "/t");
    req.request_id = "rid-1";
    Response resp = serve(f, req, reader(""));
    BOOST_TEST(*resp.header("x-request-id") == "rid-1");
    BOOST_TEST(*resp.header("cache-control") == "no-store");
    std::string wire = serialize_response(resp, true);
    BOOST_TEST(wire.rfind("Status: 200 OK\r\n", 0) == 0u);
    BOOST_TEST(wire.find("Content-Length: 7\r\n\r\n{\"a\":1}") != std::string::npos);
    BOOST_TEST(serialize_response(resp, false).find("{\"a\":1}") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(serve_answers_413_for_a_route_cap) {
    Function f = started_test_function();
    Request req = testing::make_request("POST", "/small", {}, {{"content-length", "11"}});
    Response resp = serve(f, req, reader(std::string(11, 'x')));
    BOOST_TEST(resp.status == 413);
    BOOST_TEST(testing::body_json(resp)["error"]["code"] == "body_too_large");
}

BOOST_AUTO_TEST_CASE(the_handler_gets_the_settings_read_at_start) {
    Function f = started_test_function({{"TEST_GREETING", "buenas"}});
    Request req = testing::make_request("GET", "/api/items/1");
    BOOST_TEST(testing::body_json(serve(f, req, reader("")))["greeting"] == "buenas");
    BOOST_TEST(f.routes.size() == test_router.specs().size());
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- config
BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(parses_env_files) {
    auto kv = parse_env_file("# comment\n\nA=1\nexport B = two words \nC=\"quoted # not comment\"\nD=\nE='x'\n");
    BOOST_TEST(kv.size() == 5u);
    BOOST_TEST(kv[1].second == "two words");
    BOOST_TEST(kv[2].second == "quoted # not comment");
    BOOST_TEST(kv[3].second == "");
    BOOST_TEST(kv[4].second == "x");
}

BOOST_AUTO_TEST_CASE(rejects_lines_that_are_not_settings) {
    BOOST_CHECK_THROW(parse_env_file("A=1\nthis is not a setting\n"), ConfigError);
    BOOST_CHECK_THROW(parse_env_file("BAD-NAME=1\n"), ConfigError);
    BOOST_CHECK_THROW(parse_env_file("=1\n"), ConfigError);
}

namespace {
// The message of the ConfigError `read` throws; a failed check if it throws none.
std::string config_error(const std::function<void()>& read) {
    try {
        read();
    } catch (const ConfigError& e) {
        return e.what();
    }
    BOOST_ERROR("no ConfigError");
    return {};
}
}  // namespace

BOOST_AUTO_TEST_CASE(typed_settings) {
    SettingsReader r({{"N", "42"}, {"B", "FALSE"}, {"U", "https://pnptv.test//"}, {"T", " x "}, {"L", "a, b ,c"}});
    BOOST_TEST(r.integer("N", 1, 0, 100) == 42);
    BOOST_TEST(SettingsReader(Pairs{{"M", "-3"}}).integer("M", 1, -5, 5) == -3);
    BOOST_TEST(r.integer("UNSET", 7, 0, 100) == 7);
    BOOST_TEST(r.flag("B", true) == false);
    BOOST_TEST(r.flag("UNSET", true) == true);
    BOOST_TEST(r.url("U") == "https://pnptv.test");
    BOOST_TEST(r.url("UNSET", "http://fallback.test") == "http://fallback.test");
    BOOST_TEST(r.text("T") == " x ");
    BOOST_TEST(!r.optional_text("UNSET").has_value());
    BOOST_TEST(!r.optional_secret("UNSET").has_value());
    auto list = r.secret_list("L");
    BOOST_TEST(list.size() == 3u);
    BOOST_TEST(list[1].reveal() == "b");
}

BOOST_AUTO_TEST_CASE(the_last_value_of_a_name_wins_and_empty_is_unset) {
    SettingsReader r({{"A", "file"}, {"A", "environment"}, {"E", "x"}, {"E", ""}});
    BOOST_TEST(r.text("A") == "environment");
    BOOST_TEST(r.text("E", "fallback") == "fallback");
}

BOOST_AUTO_TEST_CASE(bad_or_missing_settings_stop_it_naming_them) {
    SettingsReader r({{"N", "4x"}, {"P", "+5"}, {"BIG", "101"}, {"B", "maybe"}, {"U", "ftp://x"}, {"L", " , "}});
    BOOST_TEST(config_error([&] { r.integer("N", 1, 0, 100); }).find("N ") != std::string::npos);
    BOOST_TEST(config_error([&] { r.integer("P", 1, 0, 100); }).find("P ") != std::string::npos);
    BOOST_TEST(config_error([&] { r.integer("BIG", 1, 0, 100); }).find("BIG") != std::string::npos);
    BOOST_TEST(config_error([&] { r.flag("B", true); }).find("B ") != std::string::npos);
    BOOST_TEST(config_error([&] { r.url("U"); }).find("U ") != std::string::npos);
    BOOST_TEST(config_error([&] { r.secret_list("L"); }).find("L ") != std::string::npos);
    BOOST_TEST(config_error([&] { r.text("MISSING_ONE"); }).find("MISSING_ONE") != std::string::npos);
    BOOST_TEST(config_error([&] { r.secret("MISSING_TWO"); }).find("MISSING_TWO") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(urls_are_a_scheme_a_host_an_optional_port_and_path) {
    for (const char* good : {"https://pnptv.app", "http://127.0.0.1:8080", "https://pnptv.app/base/", "http://[::1]:9000/x",
                             "https://a-b.example.co"})
        BOOST_TEST(SettingsReader(Pairs{{"U", good}}).url("U").rfind("http", 0) == 0, good);
    for (const char* bad : {"http://", "https://", "https://pn ptv.app", "http://evil.example@pnptv.app", "https://pnptv.app/?x=1",
                            "https://pnptv.app/#top", "https://pnptv.app:0", "https://pnptv.app:99999", "https://:80",
                            "https://pnptv.app:8x", "https://.pnptv.app", "https://[]", "https://pnptv.app\\x", "ftp://pnptv.app",
                            "https://pnp\ttv.app"})
        BOOST_TEST(config_error([&] { SettingsReader(Pairs{{"U", bad}}).url("U"); }).find("U must be") != std::string::npos, bad);
}

BOOST_AUTO_TEST_CASE(a_database_url_libpq_cant_read_stops_start_up) {
    SettingsReader bad(Pairs{{"DATABASE_URL", "host=/tmp port"}});
    BOOST_TEST(config_error([&] { DatabaseSettings::read(bad); }).find("DATABASE_URL") != std::string::npos);
    SettingsReader good(Pairs{{"DATABASE_URL", "postgresql://u@/db?host=/tmp"}});
    BOOST_TEST(DatabaseSettings::read(good).url == "postgresql://u@/db?host=/tmp");
}

BOOST_AUTO_TEST_CASE(smtp_from_is_one_address_on_one_line) {
    auto read_from = [](const std::string& from) {
        SettingsReader r(Pairs{{"SMTP_URL", "smtp://127.0.0.1:25"}, {"SMTP_FROM", from}});
        return SmtpSettings::read(r).from;
    };
    BOOST_TEST(read_from("PNPtv <no-reply@pnptv.app>") == "PNPtv <no-reply@pnptv.app>");
    for (std::string bad : {std::string("a\r\nBcc: x@y"), std::string("no-reply@pnptv.app\n"), std::string("no address"),
                            std::string("x@y\x7f")})
        BOOST_TEST(config_error([&] { read_from(bad); }).find("SMTP_FROM") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(describing_lists_every_setting_and_checks_nothing) {
    auto r = SettingsReader::describing();
    r.text("REQUIRED_ONE");
    r.integer("COUNT", 5, 1, 9);
    r.secret("KEY");
    BOOST_TEST(r.described().size() == 3u);
    BOOST_TEST(r.described()[0].name == "REQUIRED_ONE");
    BOOST_TEST(r.described()[0].fallback.empty());
    BOOST_TEST(r.described()[1].fallback == "5");
    BOOST_TEST(r.described()[2].type == "secret");
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- logging
BOOST_AUTO_TEST_SUITE(logging)

BOOST_AUTO_TEST_CASE(secrets_are_masked_at_any_depth) {
    Json in = {{"route", "/x"},
               {"cookie", "connect.sid=s%3Aabc"},
               {"nested", {{"x_signature", "abc"}, {"bot_token", "1:2"}, {"ok", 1}}},
               {"list", Json::array({{{"password", "p"}}})},
               {"SESSION_SECRETS", "a,b"}};
    Json out = mask_secrets(in);
    BOOST_TEST(out["route"] == "/x");
    BOOST_TEST(out["cookie"] == "***");
    BOOST_TEST(out["nested"]["x_signature"] == "***");
    BOOST_TEST(out["nested"]["bot_token"] == "***");
    BOOST_TEST(out["nested"]["ok"] == 1);
    BOOST_TEST(out["list"][0]["password"] == "***");
    BOOST_TEST(out["SESSION_SECRETS"] == "***");
    BOOST_TEST(out.dump().find("abc") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- crypto
BOOST_AUTO_TEST_SUITE(crypto)

BOOST_AUTO_TEST_CASE(sha256_and_hmac_vectors) {
    BOOST_TEST(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2
    BOOST_TEST(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    BOOST_TEST(to_hex(md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
}

BOOST_AUTO_TEST_CASE(base64_vectors_both_alphabets) {
    // RFC 4648 §10
    const std::pair<const char*, const char*> v[] = {{"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
                                                     {"foo", "Zm9v"},   {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                     {"foobar", "Zm9vYmFy"}};
    for (auto [plain, enc] : v) {
        BOOST_TEST(base64_encode(plain) == enc);
        BOOST_TEST(*base64_decode(enc) == plain);
    }
    std::string bytes = "\xfb\xff\xfe";
    BOOST_TEST(base64_encode(bytes) == "+//+");
    BOOST_TEST(base64_encode(bytes, Base64::url, false) == "-__-");
    BOOST_TEST(*base64_decode("-__-") == bytes);
    BOOST_TEST(*base64_decode("Zm9vYg") == "foob");  // padding optional
}

BOOST_AUTO_TEST_CASE(base64_rejects_junk) {
    for (const char* bad : {"Zm9v!", "Z", "Zm9vY", "Zm=9", "Zg===", "Zm8==", "Zm 9v"})
        BOOST_TEST(!base64_decode(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(hex_round_trip_and_junk) {
    BOOST_TEST(*from_hex("00ffA0") == std::string("\x00\xff\xa0", 3));
    BOOST_TEST(!from_hex("0").has_value());
    BOOST_TEST(!from_hex("zz").has_value());
}

BOOST_AUTO_TEST_CASE(random_tokens_are_distinct_and_url_safe) {
    std::string a = random_token(24), b = random_token(24);
    BOOST_TEST(a.size() == 32u);
    BOOST_TEST(a != b);
    BOOST_TEST(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(constant_time_equal_compares) {
    BOOST_TEST(constant_time_equal("abc", "abc"));
    BOOST_TEST(!constant_time_equal("abc", "abd"));
    BOOST_TEST(!constant_time_equal("abc", "abcd"));
    BOOST_TEST(constant_time_equal("", ""));
}

BOOST_AUTO_TEST_SUITE_END()

// ---------------------------------------------------------------- text and settings formats
BOOST_AUTO_TEST_SUITE(formats)

BOOST_AUTO_TEST_CASE(utf8_validation) {
    BOOST_TEST(is_valid_utf8("Zoë 💥"));
    BOOST_TEST(!is_valid_utf8("\xff\xfe"));
    BOOST_TEST(!is_valid_utf8("\xc3("));
    BOOST_TEST(!is_valid_utf8("\xc0\xaf"));          // overlong '/'
    BOOST_TEST(!is_valid_utf8("\xed\xa0\x80"));      // surrogate
    BOOST_TEST(!is_valid_utf8("\xe2\x82"));          // truncated
}

BOOST_AUTO_TEST_CASE(character_classes_decimals_and_html) {
    BOOST_TEST(only_chars("abc-1", "-", true));
    BOOST_TEST(!only_chars("ab c", "-", true));
    BOOST_TEST(only_chars("", "x"));
    for (const char* ok : {"0", "14.99", "14.990", "40000", "1234567890.123456"}) BOOST_TEST(is_decimal(ok), ok);
    for (const char* bad : {"", ".5", "5.", "1e3", "-1", "1,5", "12345678901", "1.1234567", "1.2.3", " 1"})
        BOOST_TEST(!is_decimal(bad), bad);
    BOOST_TEST(html_escape("<a href=\"x\">&'</a>") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
}

BOOST_AUTO_TEST_CASE(ids_are_plain_digits_that_fit_a_bigint) {
    BOOST_TEST(parse_id("0").value_or(-1) == 0);
    BOOST_TEST(parse_id("42").value_or(-1) == 42);
    BOOST_TEST(parse_id("999999999999999999").value_or(-1) == 999999999999999999LL);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "1.0", "9999999999999999999", "12a"})
        BOOST_TEST(!parse_id(bad).has_value(), bad);
}

namespace {
// The HttpError parse_json_object throws for this body and Content-Type (a failed check if none).
std::string json_body_error(const std::string& body, const std::string& type) {
    try {
        parse_json_object(testing::make_request("POST", "/", body, {{"content-type", type}}));
    } catch (const HttpError& e) {
        return std::to_string(e.status) + " " + e.code;
    }
    BOOST_ERROR("no error for " << body);
    return {};
}
}  // namespace

BOOST_AUTO_TEST_CASE(json_bodies_are_objects_sent_as_json) {
    BOOST_TEST(parse_json_object(testing::make_request("POST", "/", R"({"a":1})", {{"content-type", "application/json; charset=utf-8"}}))["a"] == 1);
    BOOST_TEST(json_body_error(R"({"a":1})", "text/plain") == "415 unsupported_media_type");
    BOOST_TEST(json_body_error(R"({"a":)", "application/json") == "400 invalid_json");
    BOOST_TEST(json_body_error("[1]", "application/json") == "400 invalid_json");
    BOOST_TEST(json_body_error("", "application/json") == "400 invalid_json");
}

BOOST_AUTO_TEST_CASE(redis_urls) {
    auto a = parse_redis_url("redis://127.0.0.1:6380/2");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->host == "127.0.0.1");
    BOOST_TEST(a->port == 6380);
    BOOST_TEST(a->db == 2);
    auto b = parse_redis_url("unix:///tmp/r.sock?db=3");
    BOOST_REQUIRE(b);
    BOOST_TEST(b->unix_path == "/tmp/r.sock");
    BOOST_TEST(b->db == 3);
    BOOST_TEST(parse_redis_url("redis://localhost")->port == 6379);
    for (const char* bad : {"http://x", "redis://", "redis://h:port", "unix://relative", "redis://h:1/x", "unix:///s?db=x"})
        BOOST_TEST(!parse_redis_url(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
