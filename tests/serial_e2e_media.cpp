// The media pages in a real browser (headless Chromium over WebDriver) against the real stack: the
// landing, Videorama (posters, PRIME badges, infinite scroll, the category filter, a free member's
// upsell, a PRIME member playing and seeking through nginx's byte ranges) and the radio (now
// playing from the fake Navidrome, refreshed while the tab is in view and not while it is hidden,
// the player or why there is none); at desktop and phone width, in English and Spanish.
// Screenshots of each page (and of any failure) under the artifacts folder. Serial: it runs a
// stack of its own.
#define BOOST_TEST_MODULE serial_e2e_media
#include <boost/test/unit_test.hpp>

#include "e2e.hpp"

using testing::Browser;
using testing::Stack;

namespace {

Stack& stack() {
    // The fake Navidrome's password; a PRIME-only station, so a free member meets the reason there
    // is no player; a one-second cache, so the page's refresh sees a change of song at once.
    static Stack s("NAVIDROME_PASSWORD=sesame RADIO_LISTENERS=prime RADIO_CACHE_SECONDS=1");
    return s;
}

std::string js(const std::string& text) { return pnptv::Json(text).dump(); }

struct Catalogue {
    std::string prime_id;  // "Midnight Show": PRIME-only, newest, with a poster
    std::string free_id;   // "Welcome Tour": for everyone, with a poster
};

// The library, placed once as an operator does: the file under MEDIA_DIR (tests/fixtures/clip.mp4:
// 6 s of ffmpeg's test pattern, 160×90 H.264 at 10 fps, moov first — ffmpeg -f lavfi -i
// testsrc=size=160x90:rate=10:duration=6 -c:v libx264 -profile:v baseline -pix_fmt yuv420p -crf 35
// -g 10 -movflags +faststart -map_metadata -1 -fflags +bitexact), the posters where the
// image pipeline puts them under UPLOADS_DIR, the rows. 30 videos: the newest two in "featured",
// 28 older ones in "music" — more than the page's 24, so the list has a second page.
const Catalogue& catalogue() {
    static const Catalogue made = [] {
        const std::string poster = std::string(64, 'e');
        const std::string fixtures = testing::repo_dir() + "/tests/fixtures";
        auto placed = stack().sh("mkdir -p \"$STACK_RUN_DIR/media/clips\" \"$STACK_RUN_DIR/uploads/ee\" && "
                                 "cp '" + fixtures + "/clip.mp4' \"$STACK_RUN_DIR/media/clips/clip.mp4\" && "
                                 "for size in 400 1280; do cp '" + fixtures + "/photo.webp' \"$STACK_RUN_DIR/uploads/ee/" + poster +
                                 "-$size.webp\"; done");
        if (placed.status != 0) throw std::runtime_error("placing the media failed: " + placed.output);
        stack().sql("INSERT INTO videos (title, category, file_path, prime_only, duration_seconds, published_at) "
                    "SELECT 'Session ' || n, 'music', 'clips/clip.mp4', n % 2 = 0, 6, now() - n * interval '1 minute' "
                    "FROM generate_series(1, 28) n");
        auto add = [&](const std::string& title, bool prime_only, const std::string& age) {
            return stack().sql("INSERT INTO videos (title, description_en, description_es, category, file_path, prime_only, "
                               "duration_seconds, poster, published_at) VALUES ('" + title + "', 'A night at PNPtv.', "
                               "'Una noche en PNPtv.', 'featured', 'clips/clip.mp4', " + (prime_only ? "true" : "false") +
                               ", 6, '" + poster + "', now() - interval '" + age + "') RETURNING id");
        };
        Catalogue c;
        c.free_id = add("Welcome Tour", false, "1 second");
        c.prime_id = add("Midnight Show", true, "0 seconds");
        return c;
    }();
    return made;
}

std::string tile(const std::string& id) { return "#videos [data-video='" + id + "']"; }

// A person whose row exists before the first login (the login keeps its tier and language, and
// writes the guard's record — the authz projection — from it).
void existing_member(long long telegram_id, const std::string& name, const std::string& tier, const std::string& language) {
    stack().sql("INSERT INTO users (telegram_id, first_name, tier, language) VALUES (" + std::to_string(telegram_id) + ", '" + name +
                "', '" + tier + "', '" + language + "')");
}

void navidrome_plays(const std::string& mode) {
    auto r = testing::http("POST", stack().fake + "/__mode", pnptv::Json{{"navidrome", mode}}.dump(), {"Content-Type: application/json"});
    if (r.status != 200) throw std::runtime_error("the fake Navidrome did not take the mode");
}

// Both widths, the page scrolled to the top; the phone one also checks nothing is wider than it.
void screenshots(Browser& browser, const std::string& name) {
    browser.run("scrollTo(0, 0)");
    testing::save_screenshot(browser, name + "-desktop");
    browser.resize(390, 844);
    BOOST_TEST(browser.wait_until("document.documentElement.scrollWidth <= innerWidth"), name << " is wider than a phone");
    browser.run("scrollTo(0, 0)");
    testing::save_screenshot(browser, name + "-phone");
    browser.resize(1280, 900);
}

const std::string tiles = "document.querySelectorAll('#videos .tile').length";

}  // namespace

BOOST_AUTO_TEST_CASE(a_free_member_browses_the_catalogue_and_is_offered_prime_for_a_prime_video) {
    const Catalogue& videos = catalogue();
    Browser browser;
    testing::ShotOnFailure shot{browser, "videorama-free"};
    testing::log_in(browser, stack(), testing::unique_number(), "Camila", "/media/");
    testing::pass_age_gate(browser);
    // The landing: the three ways in.
    BOOST_TEST(browser.run("return [...document.querySelectorAll('main a')].map((a) => a.getAttribute('href')).join(' ')") ==
               "/media/videorama/ /media/radio/ /media/live/");
    screenshots(browser, "media");
    BOOST_TEST(browser.page_errors() == "");

    // At phone width the first page (24) is taller than the screen: the next waits for the scroll.
    browser.resize(390, 844);
    browser.click("#to-videorama");
    BOOST_TEST_REQUIRE(browser.wait_until(tiles + " === 24"));
    BOOST_TEST(!browser.wait_until(tiles + " > 24", 2));
    // The PRIME video: badge, marked locked, its poster served from the uploads.
    BOOST_TEST(browser.run("const t = document.querySelector(" + js(tile(videos.prime_id)) +
                           "); return [t.dataset.locked, t.querySelector('.badge').textContent, t.querySelector('.title').textContent].join('|')") ==
               "true|PRIME|Midnight Show");
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(tile(videos.prime_id) + " img") + ").naturalWidth > 0"));
    BOOST_TEST(browser.run("return document.querySelector(" + js(tile(videos.free_id)) + ").querySelector('.badge') === null").get<bool>());
    // The next page when the end of the list comes into view, then the end.
    browser.run("document.querySelector('#videos-end').scrollIntoView()");
    BOOST_TEST(browser.wait_until(tiles + " === 30"));
    BOOST_TEST(browser.wait_until("document.querySelector('#videos-end').textContent === \"You've seen every video.\""));
    // The category filter (the categories met so far), kept in the address.
    browser.click("#categories [data-category='featured']");
    BOOST_TEST(browser.wait_until(tiles + " === 2 && location.search === '?category=featured'"));
    BOOST_TEST(browser.run("return document.querySelector(\"#categories [data-category='featured']\").getAttribute('aria-pressed')") == "true");
    browser.click("#categories [data-category='']");
    BOOST_TEST(browser.wait_until(tiles + " === 24 && location.search === ''"));
    // On a desktop screen the end of the first page is in view: the second follows by itself.
    browser.resize(1280, 900);
    BOOST_TEST(browser.wait_until(tiles + " === 30"));
    screenshots(browser, "videorama");
    BOOST_TEST(browser.page_errors() == "");

    // Opening it: the way to PRIME instead of a player, and the file itself is refused.
    browser.click(tile(videos.prime_id) + " a");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#upsell')"));
    BOOST_TEST(browser.text("#watch-title") == "Midnight Show");
    BOOST_TEST(!browser.find("video"));
    BOOST_TEST(browser.run("return document.querySelector('#get-prime').getAttribute('href')") == "/hub/#plans");
    BOOST_TEST(browser.run("return fetch('/api/webapp/videos/" + videos.prime_id +
                           "/play', {headers: {Range: 'bytes=0-99'}}).then(async (r) => r.status + ' ' + (await r.json()).error.code)") ==
               "403 prime_required");
    screenshots(browser, "videorama-upsell");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(a_prime_member_plays_and_seeks_a_prime_video_and_gets_the_radio_player) {
    const Catalogue& videos = catalogue();
    Browser browser;
    testing::ShotOnFailure shot{browser, "videorama-prime"};
    const long long tg = testing::unique_number();
    existing_member(tg, "Mateo", "prime", "en");
    testing::log_in(browser, stack(), tg, "Mateo", "/media/videorama/");
    testing::pass_age_gate(browser);
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(tile(videos.prime_id)) + ")"));
    BOOST_TEST(browser.run("const t = document.querySelector(" + js(tile(videos.prime_id)) +
                           "); return t.dataset.locked + '|' + t.querySelector('.badge').textContent") == "false|PRIME");

    browser.click(tile(videos.prime_id) + " a");
    const std::string player = "document.querySelector('#player')";
    BOOST_TEST_REQUIRE(browser.wait_until(player + " && " + player + ".readyState >= 1", 15));
    BOOST_TEST(!browser.find("#upsell"));
    BOOST_TEST(browser.run("return Math.round(" + player + ".duration)").get<int>() == 6);
    // Seeking: nginx answers the byte ranges (206), the player lands where it was sent and plays on.
    BOOST_TEST(browser.run("return fetch(" + player + ".src, {headers: {Range: 'bytes=100-199'}}).then((r) => r.status + ' ' + r.headers.get('Content-Range'))") ==
               "206 bytes 100-199/" + std::to_string(testing::fixture("clip.mp4").size()));
    browser.run("const v = " + player + "; v.currentTime = 4;");
    BOOST_TEST(browser.wait_until("!" + player + ".seeking && " + player + ".currentTime >= 3.9"));
    browser.run("const v = " + player + "; v.muted = true; v.play();");  // muted: headless Chromium's autoplay policy
    BOOST_TEST(browser.wait_until(player + ".currentTime > 4.3 && !" + player + ".error"));
    browser.run(player + ".pause()");
    screenshots(browser, "videorama-player");
    BOOST_TEST(browser.page_errors() == "");

    // The PRIME-only station plays for PRIME: the player over our stream path, which nginx opens.
    browser.go(stack().url("/media/radio/"));
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#radio-audio')"));
    BOOST_TEST(browser.run("const a = document.querySelector('#radio-audio'); return a.getAttribute('src') + ' ' + a.controls") ==
               "/api/webapp/radio/stream true");
    BOOST_TEST(!browser.find("#radio-prime-only"));
    BOOST_TEST(browser.run("return fetch('/api/webapp/radio/stream').then((r) => r.status + ' ' + r.headers.get('Content-Type'))") ==
               "200 audio/mpeg");
    BOOST_TEST(browser.wait_until("document.querySelector('#tracks .song').textContent === 'Noche Larga'"));
    screenshots(browser, "radio");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_radio_shows_what_plays_asks_again_only_while_in_view_and_says_why_a_free_member_has_no_player) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "radio-free"};
    navidrome_plays("one");
    testing::log_in(browser, stack(), testing::unique_number(), "Lucía", "/media/radio/");
    testing::pass_age_gate(browser);
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#tracks .song')"));
    BOOST_TEST(browser.text("#tracks .song") == "Noche Larga");
    BOOST_TEST(browser.text("#tracks .track .small") == "Los Fakes · Pruebas");
    // A PRIME-only station: the reason and the way to PRIME, no player; the stream refuses too.
    BOOST_TEST(browser.text("#radio-prime-only") == "PRIME Listening to the radio is for PRIME members.");
    BOOST_TEST(browser.run("return document.querySelector('#get-prime').getAttribute('href')") == "/hub/#plans");
    BOOST_TEST(!browser.find("audio"));
    BOOST_TEST(browser.run("return fetch('/api/webapp/radio/stream').then((r) => r.status)").get<int>() == 403);
    screenshots(browser, "radio-free");

    // A hidden tab asks nothing: the song changes meanwhile and the page doesn't hear of it.
    const std::string asked = "performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/webapp/radio/now-playing')).length";
    browser.run("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true}); document.dispatchEvent(new Event('visibilitychange'));");
    const int before = browser.run("return " + asked).get<int>();
    navidrome_plays("none");
    BOOST_TEST(!browser.wait_until(asked + " > " + std::to_string(before), 17));  // past the 15 s refresh
    BOOST_TEST(browser.text("#tracks .song") == "Noche Larga");
    // Back in view: asked at once, then every 15 s.
    browser.run("Object.defineProperty(document, 'hidden', {configurable: true, get: () => false}); document.dispatchEvent(new Event('visibilitychange'));");
    BOOST_TEST(browser.wait_until("document.querySelector('#nothing')", 5));
    BOOST_TEST(browser.text("#nothing") == "Nothing is playing right now.");
    navidrome_plays("one");
    BOOST_TEST(browser.wait_until("document.querySelector('#tracks .song')", 20));
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(a_spanish_speaking_member_sees_the_media_pages_in_spanish) {
    const Catalogue& videos = catalogue();
    Browser browser;
    testing::ShotOnFailure shot{browser, "media-es"};
    const long long tg = testing::unique_number();
    existing_member(tg, "Sofía", "free", "es");
    testing::log_in(browser, stack(), tg, "Sofía", "/media/");
    testing::pass_age_gate(browser);
    BOOST_TEST_REQUIRE(browser.wait_until("document.documentElement.lang === 'es'"));
    BOOST_TEST(browser.text("main h1") == "Multimedia");
    BOOST_TEST(browser.run("return document.title") == "PNPtv · Multimedia");
    screenshots(browser, "media-es");
    BOOST_TEST(browser.page_errors() == "");

    browser.go(stack().url("/media/videorama/"));
    BOOST_TEST_REQUIRE(browser.wait_until(tiles + " === 30"));
    BOOST_TEST(browser.text("#categories [data-category='']") == "Todos");
    BOOST_TEST(browser.run("return document.querySelector(" + js(tile(videos.prime_id) + " .visually-hidden") + ").textContent") ==
               "(para miembros PRIME)");
    screenshots(browser, "videorama-es");
    browser.click(tile(videos.prime_id) + " a");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#upsell')"));
    BOOST_TEST(browser.text("#get-prime") == "Hazte PRIME");
    BOOST_TEST(browser.text("#watch-description") == "Una noche en PNPtv.");
    BOOST_TEST(browser.run("return document.querySelector('#upsell img').alt") == "Póster de Midnight Show");
    screenshots(browser, "videorama-upsell-es");
    BOOST_TEST(browser.page_errors() == "");

    navidrome_plays("one");
    browser.go(stack().url("/media/radio/"));
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#radio-prime-only')"));
    BOOST_TEST(browser.text("#now-title") == "Sonando ahora");
    BOOST_TEST(browser.text("#radio-prime-only") == "PRIME Escuchar la radio es para miembros PRIME.");
    screenshots(browser, "radio-es");
    BOOST_TEST(browser.page_errors() == "");
}
