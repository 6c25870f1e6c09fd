// functions/radio in process against the fake Navidrome (tests/fakes/fake_bot_api.py) and the
// run's Redis: the Subsonic token, the cache and its one refresher, and that listeners never get
// a 5xx whatever Navidrome does.
#define BOOST_TEST_MODULE radio
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "../functions/radio/handler.hpp"
#include "redis.hpp"
#include "testing.hpp"

using namespace pnptv;

namespace {

const std::string fake = testing::start_fake_api();

radio::Settings settings(Pairs extra = {}) {
    Pairs v = {{"NAVIDROME_URL", fake}, {"NAVIDROME_USER", "radio"}, {"NAVIDROME_PASSWORD", "sesame"}, {"NAVIDROME_TIMEOUT_MS", "500"},
               {"RADIO_CACHE_SECONDS", "30"}, {"RADIO_STREAM_URL", "https://radio.pnptv.test/stream"},
               {"SESSION_SECRETS", "radio-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}};
    for (const auto& p : extra) v.push_back(p);
    return testing::settings<radio::Settings>(v);
}

void navidrome(const Json& mode) { testing::http("POST", fake + "/__mode", mode.dump()); }
long long navidrome_calls() { return Json::parse(testing::http("GET", fake + "/__navidrome_calls").body)["count"]; }
void forget_cache() { redis().command({"DEL", "radio:now-playing", "radio:now-playing:refresh"}); }

Json listen(const radio::Settings& s) {
    auto r = radio::handle(s, testing::make_request("GET", std::string(radio::now_playing_path)));
    BOOST_TEST(r.status == 200);
    return testing::body_json(r);
}

}  // namespace

BOOST_AUTO_TEST_CASE(subsonic_token_vector) {
    BOOST_TEST(subsonic_token("sesame", "c19b2d") == "26719a1196d2a940705a59634eb18eab");
}

BOOST_AUTO_TEST_CASE(one_navidrome_call_serves_every_listener_for_the_cache_window) {
    forget_cache();
    navidrome({{"navidrome", "one"}, {"navidrome_delay_ms", 0}});
    const auto s = settings();
    const long long before = navidrome_calls();
    Json now = listen(s);
    BOOST_TEST(now["playing"] == true);
    BOOST_TEST(now["stale"] == false);
    BOOST_TEST(now["entries"][0]["title"] == "Noche Larga");
    BOOST_TEST(now["entries"][0]["artist"] == "Los Fakes");
    BOOST_TEST(now["entries"][0]["duration_seconds"] == 215);
    BOOST_TEST(now["stream_url"] == "/api/webapp/radio/stream");  // ours: the station's address is never told
    BOOST_TEST(now["listeners"] == "everyone");
    for (int i = 0; i < 10; ++i) BOOST_TEST(listen(s)["entries"][0]["title"] == "Noche Larga");
    BOOST_TEST(navidrome_calls() - before == 1);
}

BOOST_AUTO_TEST_CASE(many_listeners_at_once_one_refresher) {
    forget_cache();
    navidrome({{"navidrome", "one"}, {"navidrome_delay_ms", 300}});  // slow enough for them all to arrive meanwhile
    const auto s = settings();
    const long long before = navidrome_calls();
    auto statuses = testing::in_parallel(20, [&](int) {
        return radio::handle(s, testing::make_request("GET", std::string(radio::now_playing_path))).status == 200 ? 0 : 1;
    });
    BOOST_TEST(std::count(statuses.begin(), statuses.end(), 0) == 20);
    BOOST_TEST(navidrome_calls() - before == 1);
    navidrome({{"navidrome_delay_ms", 0}});
}

BOOST_AUTO_TEST_CASE(navidrome_failing_serves_the_last_good_value_marked_stale) {
    forget_cache();
    navidrome({{"navidrome", "one"}});
    const auto quick = settings({{"RADIO_CACHE_SECONDS", "1"}});
    BOOST_TEST(listen(quick)["playing"] == true);
    // The cached answer ages past its window; then Navidrome goes down, answers slowly, or
    // refuses our credentials: listeners keep the last song, marked stale, and a 200.
    redis().command({"SET", "radio:now-playing",
                     R"({"entries":[{"title":"Noche Larga","artist":"Los Fakes","album":"","duration_seconds":215}],"fetched_at":1})"});
    for (const Json& mode : {Json{{"navidrome", "down"}}, Json{{"navidrome", "one"}, {"navidrome_delay_ms", 2000}}}) {
        redis().command({"DEL", "radio:now-playing:refresh"});
        navidrome(mode);
        Json now = listen(quick);
        BOOST_TEST(now["stale"] == true, mode.dump());
        BOOST_TEST(now["entries"][0]["title"] == "Noche Larga", mode.dump());
    }
    navidrome({{"navidrome", "one"}, {"navidrome_delay_ms", 0}});
    redis().command({"DEL", "radio:now-playing:refresh"});
    Json refused = listen(settings({{"RADIO_CACHE_SECONDS", "1"}, {"NAVIDROME_PASSWORD", "wrong"}}));  // Subsonic error 40
    BOOST_TEST(refused["stale"] == true);
    BOOST_TEST(refused["playing"] == true);
    // A failure is not retried by every listener: the next ones within the window ask no one.
    const long long before = navidrome_calls();
    for (int i = 0; i < 5; ++i) listen(settings({{"RADIO_CACHE_SECONDS", "1"}, {"NAVIDROME_PASSWORD", "wrong"}}));
    BOOST_TEST(navidrome_calls() == before);
    // Nothing ever fetched and Navidrome down: a clear "nothing playing", still a 200.
    forget_cache();
    navidrome({{"navidrome", "down"}});
    Json nothing = listen(quick);
    BOOST_TEST(nothing["playing"] == false);
    BOOST_TEST(nothing["entries"].empty());
    BOOST_TEST(nothing["stale"] == true);
    navidrome({{"navidrome", "one"}});
}

BOOST_AUTO_TEST_CASE(nothing_playing_between_tracks_is_fresh_and_empty) {
    forget_cache();
    navidrome({{"navidrome", "none"}});
    Json now = listen(settings());
    BOOST_TEST(now["playing"] == false);
    BOOST_TEST(now["stale"] == false);
    BOOST_TEST(now["entries"].empty());
    navidrome({{"navidrome", "one"}});
    forget_cache();
}

BOOST_AUTO_TEST_CASE(other_methods_and_bad_settings) {
    BOOST_TEST(radio::handle(settings(), testing::make_request("POST", std::string(radio::now_playing_path))).status == 405);
    BOOST_CHECK_THROW(settings({{"RADIO_STREAM_URL", "icecast://x"}}), ConfigError);
    BOOST_CHECK_THROW(testing::settings<radio::Settings>({{"NAVIDROME_URL", fake}}), ConfigError);  // no user, no password
}

namespace {
Response tune_in(const radio::Settings& s, const testing::TestUser* who) {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    return radio::handle(s, testing::make_request("GET", std::string(radio::stream_path), {}, headers));
}
}  // namespace

BOOST_AUTO_TEST_CASE(the_stream_is_for_everyone_or_prime_members_as_set) {
    const auto open = settings();
    auto anyone = tune_in(open, nullptr);
    BOOST_TEST(anyone.status == 200);
    BOOST_TEST(find_value(anyone.headers, "X-Accel-Redirect").value_or("") == "/__radio/stream");
    const auto prime_only = settings({{"RADIO_LISTENERS", "prime"}});
    auto free = testing::make_user(prime_only.web.session, "Free"), prime = testing::make_user(prime_only.web.session, "Prime", "user", "prime");
    BOOST_TEST(listen(prime_only)["listeners"] == "prime");
    auto nobody = tune_in(prime_only, nullptr);
    BOOST_TEST(nobody.status == 401);
    BOOST_TEST(!find_value(nobody.headers, "X-Accel-Redirect").has_value());
    auto upsell = tune_in(prime_only, &free);
    BOOST_TEST(upsell.status == 403);
    BOOST_TEST(testing::body_json(upsell)["error"]["code"] == "prime_required");
    BOOST_TEST(!find_value(upsell.headers, "X-Accel-Redirect").has_value());
    BOOST_TEST(find_value(tune_in(prime_only, &prime).headers, "X-Accel-Redirect").value_or("") == "/__radio/stream");
    // No station configured: nothing to tune in to; a listeners value we don't know stops start-up.
    auto none = testing::settings<radio::Settings>({{"NAVIDROME_URL", fake}, {"NAVIDROME_USER", "radio"}, {"NAVIDROME_PASSWORD", "x"},
                                                    {"SESSION_SECRETS", "s"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}});
    BOOST_TEST(tune_in(none, nullptr).status == 404);
    BOOST_TEST(listen(none)["stream_url"].is_null());
    BOOST_CHECK_THROW(settings({{"RADIO_LISTENERS", "vip"}}), ConfigError);
}
