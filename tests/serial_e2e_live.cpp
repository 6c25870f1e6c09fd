// The live and hangout pages in a real browser (headless Chromium over WebDriver) against the real
// stack, two people at once (a Browser each): going live, watching, the viewer count, the live
// chat over the WebSocket, deleted messages leaving, the host ending the stream; a hangout room,
// its invitation link, a second person joining through it. Agora is configured (env.example's
// project) but its servers are out of reach here: the pages must fetch their tokens from the API,
// never show them in the address, and say that the video could not start while the rest works.
// The same without the vendored SDK (its file hidden from nginx for one case). Screenshots at
// desktop and phone width under the artifacts folder, basic accessibility checked on each view.
// Serial: it runs a stack of its own.
#define BOOST_TEST_MODULE serial_e2e_live
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "e2e.hpp"

using testing::Browser;
using testing::Stack;

namespace {

Stack& stack() {
    static Stack s;
    return s;
}

// The Agora Web SDK as nginx serves it (build-public's fingerprinted copy), if scripts/setup
// could fetch it.
std::filesystem::path served_sdk() {
    const char* build = std::getenv("BUILD");
    const std::filesystem::path dir = testing::repo_dir() + "/" + (build ? build : "build") + "/public/assets/vendor/agora";
    if (std::filesystem::is_directory(dir))
        for (const auto& entry : std::filesystem::directory_iterator(dir))
            if (entry.path().extension() == ".js") return entry.path();
    return {};
}

// Without the SDK the page says video is unavailable; with it, the join is tried and fails (no
// route to Agora from here).
std::string expected_video_state() { return served_sdk().empty() ? "unavailable" : "failed"; }

// The SDK out of nginx's reach while it lives: the page's import of it fails.
struct SdkHidden {
    std::filesystem::path file = served_sdk(), hidden = file.empty() ? file : std::filesystem::path(file.string() + ".hidden");
    SdkHidden() {
        if (!file.empty()) std::filesystem::rename(file, hidden);
    }
    ~SdkHidden() {
        if (!file.empty()) std::filesystem::rename(hidden, file);
    }
};

std::string js(const std::string& s) { return pnptv::Json(s).dump(); }

// A person logged in and past the 18+ gate on `page`; their users row's id.
long long arrive(Browser& browser, const std::string& name, const std::string& page) {
    const long long id = testing::log_in(browser, stack(), testing::unique_number(), name, page);
    testing::pass_age_gate(browser);
    return id;
}

// PRIME in the database; the API reads the guard's Redis record, which follows through
// authz-worker. (Read from Redis: asking /me as often would spend the address's login budget.)
void make_prime(long long user_id) {
    stack().sql("UPDATE users SET tier = 'prime' WHERE id = " + std::to_string(user_id));
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        return stack().sh("redis-cli -s \"$STACK_RUN_DIR/redis/redis.sock\" HGET user:" + std::to_string(user_id) + ":authz tier").output ==
               "prime\n";
    }));
}

// Whether the page asked the API for a token at `path`.
bool fetched(Browser& browser, const std::string& path) {
    return browser.run("return performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname === arguments[0])",
                       {path}).get<bool>();
}

// The video settled where it must: Agora out of reach, the person told so.
void video_could_not_start(Browser& browser, const std::string& state) {
    BOOST_TEST(browser.wait_until("document.querySelector('#stage').dataset.state === " + js(state), 60),
               "video state: " << browser.run("return document.querySelector('#stage').dataset.state"));
    BOOST_TEST(browser.run("return !document.querySelector('#video-status').hidden").get<bool>());
}

bool chat_shows(Browser& browser, const std::string& text) {
    return browser.wait_until("[...document.querySelectorAll('#chat-log .message .body')].some((b) => b.textContent === " + js(text) + ")");
}

void say_in_chat(Browser& browser, const std::string& text) {
    browser.type("#chat-input", text);
    browser.click("#chat-form button[type=submit]");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_host_goes_live_a_viewer_watches_and_they_chat) {
    Browser host;
    testing::ShotOnFailure host_shot{host, "live-host"};
    const long long host_id = arrive(host, "Hostina", "/media/live/");
    // A free member is offered PRIME instead of the form.
    BOOST_TEST(host.wait_until("!document.querySelector('#live-upsell').hidden"));
    BOOST_TEST(host.run("return document.querySelector('#go-live-form').hidden").get<bool>());
    BOOST_TEST(testing::accessibility_problems(host) == "");
    make_prime(host_id);
    host.go(stack().url("/media/live/"));
    BOOST_TEST_REQUIRE(host.wait_until("!document.querySelector('#go-live-form').hidden"));
    BOOST_TEST(host.wait_until("document.querySelector('#streams-status').textContent === 'Nobody is live right now.'"));
    testing::save_screenshot(host, "live-list-desktop");
    BOOST_TEST(testing::accessibility_problems(host) == "");

    host.type("#live-title", "Friday night");
    host.click("#go-live-form button[type=submit]");
    BOOST_TEST_REQUIRE(host.wait_until("new URLSearchParams(location.search).has('stream')"));
    const std::string id = stack().sql("SELECT id FROM live_streams WHERE host_id = " + std::to_string(host_id) + " AND status = 'live'");
    const std::string page = "/media/live/?stream=" + id;
    BOOST_TEST(host.url() == stack().url(page));
    BOOST_TEST(host.wait_until("document.querySelector('#stream-title').textContent === 'Friday night'"));
    video_could_not_start(host, expected_video_state());
    BOOST_TEST(fetched(host, "/api/webapp/live/streams/" + id + "/token"));
    BOOST_TEST(host.url() == stack().url(page));  // no token in the address, ever
    BOOST_TEST(!host.run("return document.querySelector('#end-stream').hidden").get<bool>());
    BOOST_TEST(testing::accessibility_problems(host) == "");

    Browser viewer;
    testing::ShotOnFailure viewer_shot{viewer, "live-viewer"};
    // The viewer finds it among what is live now.
    arrive(viewer, "Vero", "/media/live/");
    const std::string item = "#stream-list [data-stream=\"" + id + "\"]";
    BOOST_TEST_REQUIRE(viewer.wait_until("document.querySelector(" + js(item) + ")"));
    BOOST_TEST(viewer.text(item).find("Friday night") != std::string::npos);
    BOOST_TEST(viewer.text(item).find("Hosted by Hostina") != std::string::npos);
    testing::save_screenshot(viewer, "live-list-streams-desktop");
    BOOST_TEST(testing::accessibility_problems(viewer) == "");
    viewer.click(item + " a");
    BOOST_TEST(viewer.wait_until("document.querySelector('#stream-title').textContent === 'Friday night'"));
    video_could_not_start(viewer, expected_video_state());
    BOOST_TEST(fetched(viewer, "/api/webapp/live/streams/" + id + "/token"));
    BOOST_TEST(viewer.url() == stack().url(page));
    // What the token opens stays out of the page too.
    const std::string channel = stack().sql("SELECT channel FROM live_streams WHERE id = " + id);
    BOOST_TEST(!viewer.run("return document.documentElement.outerHTML.includes(arguments[0])", {channel}).get<bool>());
    BOOST_TEST(viewer.run("return document.querySelector('#end-stream').hidden").get<bool>());
    // The viewer's heartbeat is the count, on both pages.
    BOOST_TEST(viewer.wait_until("document.querySelector('#viewers').textContent === '1 watching'"));
    BOOST_TEST(host.wait_until("document.querySelector('#viewers').textContent === '1 watching'", 15));
    // Tips: the amounts the payment API allows, for the viewer only.
    BOOST_TEST(viewer.wait_until("document.querySelectorAll('#tip-amounts button[data-currency=USD]').length > 0"));
    BOOST_TEST(host.run("return document.querySelector('#tips').hidden").get<bool>());

    // The chat, both ways, over the WebSocket.
    BOOST_TEST_REQUIRE(viewer.wait_until("document.querySelector('#chat-log').dataset.connection === 'websocket'"));
    BOOST_TEST_REQUIRE(host.wait_until("document.querySelector('#chat-log').dataset.connection === 'websocket'"));
    say_in_chat(viewer, "hola desde el sofá");
    BOOST_TEST(chat_shows(host, "hola desde el sofá"));
    BOOST_TEST(chat_shows(viewer, "hola desde el sofá"));
    say_in_chat(host, "welcome, Vero");
    BOOST_TEST(chat_shows(viewer, "welcome, Vero"));
    BOOST_TEST(viewer.run("return document.querySelectorAll('#chat-log .message').length").get<int>() == 2);  // no duplicates
    testing::save_screenshot(viewer, "live-watch-desktop");
    BOOST_TEST(testing::accessibility_problems(viewer) == "");
    testing::save_screenshot(host, "live-host-desktop");

    // The host (a moderator of the room) deletes the viewer's message: gone from the viewer's page.
    const std::string message = stack().sql("SELECT id FROM chat_messages WHERE room = 'live-" + id + "' AND body = 'hola desde el sofá'");
    BOOST_TEST(host.run("return fetch('/api/webapp/chat/live-" + id + "/messages/" + message + "', {method: 'DELETE'}).then((r) => r.status)")
                   .get<int>() == 200);
    BOOST_TEST(viewer.wait_until("!document.querySelector('#chat-log [data-message=\"" + message + "\"]')"));

    viewer.resize(390, 844);
    testing::save_screenshot(viewer, "live-watch-phone");

    // The host ends it: the viewer's page hears it on the chat room and leaves.
    host.click("#end-stream");
    BOOST_TEST(host.wait_until("document.querySelector('#stage').dataset.state === 'ended'"));
    BOOST_TEST(viewer.wait_until("document.querySelector('#stage').dataset.state === 'ended'", 20));
    BOOST_TEST(viewer.run("return document.querySelector('#chat-input').disabled").get<bool>());
    BOOST_TEST(stack().sql("SELECT status FROM live_streams WHERE id = " + id) == "ended");
    BOOST_TEST(host.page_errors() == "");
    BOOST_TEST(viewer.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(without_the_sdk_the_page_says_video_is_unavailable_and_the_chat_works) {
    Browser host;
    testing::ShotOnFailure shot{host, "live-no-sdk"};
    const long long host_id = arrive(host, "Sola", "/media/live/");
    make_prime(host_id);
    host.go(stack().url("/media/live/"));
    BOOST_TEST_REQUIRE(host.wait_until("!document.querySelector('#go-live-form').hidden"));
    host.type("#live-title", "No SDK here");
    SdkHidden hidden;
    host.click("#go-live-form button[type=submit]");
    BOOST_TEST_REQUIRE(host.wait_until("new URLSearchParams(location.search).has('stream')"));
    video_could_not_start(host, "unavailable");
    BOOST_TEST(host.text("#video-status") == "Video is not available right now. The chat still works.");
    BOOST_TEST_REQUIRE(host.wait_until("document.querySelector('#chat-log').dataset.connection === 'websocket'"));
    say_in_chat(host, "anyone there?");
    BOOST_TEST(chat_shows(host, "anyone there?"));
    host.resize(390, 844);
    testing::save_screenshot(host, "live-no-video-phone");
    BOOST_TEST(testing::accessibility_problems(host) == "");
    host.click("#end-stream");
    BOOST_TEST(host.wait_until("document.querySelector('#stage').dataset.state === 'ended'"));
    BOOST_TEST(host.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(a_hangout_owner_invites_and_a_guest_joins_through_the_link) {
    Browser owner;
    testing::ShotOnFailure owner_shot{owner, "hangouts-owner"};
    arrive(owner, "Olga", "/hangouts/");
    BOOST_TEST(owner.wait_until("document.querySelector('#rooms-status').textContent.startsWith('You are in no room yet')"));
    testing::save_screenshot(owner, "hangouts-list-desktop");
    BOOST_TEST(testing::accessibility_problems(owner) == "");
    owner.type("#room-name", "Friday");
    owner.click("#room-form button[type=submit]");
    BOOST_TEST_REQUIRE(owner.wait_until("new URLSearchParams(location.search).has('room')"));
    const std::string room = owner.run("return new URLSearchParams(location.search).get('room')").get<std::string>();
    BOOST_TEST(owner.wait_until("document.querySelector('#room-title').textContent === 'friday'"));
    video_could_not_start(owner, expected_video_state());
    BOOST_TEST(fetched(owner, "/api/webapp/hangouts/rooms/" + room + "/token"));
    BOOST_TEST(owner.url() == stack().url("/hangouts/?room=" + room));
    BOOST_TEST(owner.wait_until("document.querySelectorAll('#members li').length === 1"));

    owner.click("#make-invite");
    BOOST_TEST_REQUIRE(owner.wait_until("document.querySelector('#invite-link').value !== ''"));
    const std::string link = owner.run("return document.querySelector('#invite-link').value").get<std::string>();
    BOOST_TEST_REQUIRE(link.rfind(stack().url("/hangouts/?invite="), 0) == 0, link);
    testing::save_screenshot(owner, "hangouts-room-desktop");
    BOOST_TEST(testing::accessibility_problems(owner) == "");

    // The guest follows the link: login, 18+, then they are in the room, the invitation gone from
    // the address bar.
    Browser guest;
    testing::ShotOnFailure guest_shot{guest, "hangouts-guest"};
    const long long guest_id = arrive(guest, "Gus", link.substr(stack().url("").size()));
    BOOST_TEST(guest.wait_until("location.search === " + js("?room=" + room)));
    BOOST_TEST(guest.wait_until("document.querySelector('#room-title').textContent === 'friday'"));
    BOOST_TEST(guest.wait_until("document.querySelectorAll('#members li').length === 2"));
    BOOST_TEST(guest.text("#members").find("Olga (owner)") != std::string::npos);
    BOOST_TEST(guest.text("#members").find("Gus (you)") != std::string::npos);
    BOOST_TEST(!guest.run("return document.querySelector('#leave-room').hidden").get<bool>());
    BOOST_TEST(guest.run("return document.querySelector('#invite').hidden").get<bool>());
    video_could_not_start(guest, expected_video_state());
    BOOST_TEST(fetched(guest, "/api/webapp/hangouts/rooms/" + room + "/token"));
    // The owner's page finds the newcomer by itself.
    BOOST_TEST(owner.wait_until("document.querySelector('#members [data-user=\"" + std::to_string(guest_id) + "\"]')", 15));
    guest.resize(390, 844);
    testing::save_screenshot(guest, "hangouts-room-phone");
    BOOST_TEST(testing::accessibility_problems(guest) == "");

    // In Spanish too.
    guest.run("localStorage.setItem('pnptv.language', 'es')");
    guest.go(stack().url("/hangouts/"));
    BOOST_TEST(guest.wait_until("document.querySelector('#rooms-title').textContent === 'Mis salas'"));
    BOOST_TEST(guest.wait_until("document.querySelector('#room-list [data-room=\"" + room + "\"]')"));
    testing::save_screenshot(guest, "hangouts-list-phone-es");
    BOOST_TEST(testing::accessibility_problems(guest) == "");
    BOOST_TEST(owner.page_errors() == "");
    BOOST_TEST(guest.page_errors() == "");
}
