// functions/chat in process (real PostgreSQL and Redis; nginx's nchan is the stack test's): who
// may read and post in which room, bad inputs, keyset history, deletes and mutes, nginx's
// subscriber check, and the outbox taking what nginx didn't.
#define BOOST_TEST_MODULE chat
#include <boost/test/unit_test.hpp>

#include <set>

#include "../functions/chat/handler.hpp"
#include "bans.hpp"
#include "live.hpp"
#include "pg.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

// No nginx here: the publisher socket leads nowhere, so every push falls back to the outbox.
const auto settings = testing::settings<chat::Settings>({{"SESSION_SECRETS", "chat-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"},
                                                         {"NCHAN_PUBLISH_SOCKET", "/nonexistent/nchan.sock"},
                                                         {"CHAT_MESSAGES_PER_MINUTE", "1000"}});

testing::TestUser user(const std::string& name = "Ana", const std::string& tier = "free", const std::string& role = "user") {
    return testing::make_user(settings.web.session, name, role, tier);
}

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who = nullptr, const std::string& body = {},
              const chat::Settings& s = settings, Pairs headers = {}) {
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return chat::handle(s, make_request(method, uri, body, headers));
}

std::string messages(const std::string& room) { return std::string(chat::rooms_path) + room + "/messages"; }
std::string error_code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }

long long say(const testing::TestUser& who, const std::string& room, const std::string& text) {
    auto r = call("POST", messages(room), &who, Json{{"body", text}}.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return testing::body_json(r)["message"]["id"];
}

long long live_stream(const testing::TestUser& host, bool prime_only, const std::string& status = "live") {
    return db().exec("INSERT INTO live_streams (host_id, channel, prime_only, status, ended_at) VALUES ($1, $2, $3, $4, "
                     "CASE WHEN $4 = 'ended' THEN now() END) RETURNING id",
                     {host.id, "live-" + std::to_string(testing::unique_number()), prime_only, status}).get_int(0, 0);
}

// nginx's subrequest for a subscriber of `uri`.
Response authorize(const std::string& uri, const testing::TestUser* who) {
    return call("GET", std::string(chat::authorize_path), who, {}, settings, {{"x-original-uri", uri}});
}
std::string ws(const std::string& room) { return std::string(chat::subscribe_prefix) + room; }

long long outbox_rows(const std::string& channel) {
    return db().exec("SELECT count(*) FROM outbox WHERE kind = 'realtime' AND payload->>'channel' = $1", {channel}).get_int(0, 0);
}

}  // namespace

BOOST_AUTO_TEST_CASE(room_names_have_one_spelling) {
    BOOST_TEST(chat::parse_room("community").has_value());
    auto live = chat::parse_room("live-42");
    BOOST_TEST_REQUIRE(live.has_value());
    BOOST_TEST(live->stream_id == 42);
    auto dm = chat::parse_room("dm-3-17");
    BOOST_TEST_REQUIRE(dm.has_value());
    BOOST_TEST(dm->low == 3);
    BOOST_TEST(dm->high == 17);
    BOOST_TEST(chat::direct_room(17, 3) == "dm-3-17");
    for (const char* bad : {"", "Community", "lobby", "live-", "live-0", "live-042", "live-x", "dm-17-3", "dm-3-3", "dm-3", "dm--3-4",
                            "dm-3-4-5", "live-99999999999999999999"})
        BOOST_TEST(!chat::parse_room(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(a_message_is_stored_returned_and_pushed) {
    auto ana = user("Ana");
    auto r = call("POST", messages("community"), &ana, Json{{"body", "  hola 👋  "}}.dump());
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    Json m = testing::body_json(r)["message"];
    BOOST_TEST(m["body"] == "hola 👋");
    BOOST_TEST(m["room"] == "community");
    BOOST_TEST(m["author"]["id"] == ana.id);
    BOOST_TEST(m["author"]["display_name"] == "Ana");
    // nginx didn't take it (no socket here): the outbox holds the event for notify-worker.
    auto queued = db().exec("SELECT payload FROM outbox WHERE kind = 'realtime' AND dedupe_key = $1", {"chat:" + std::to_string(m["id"].get<long long>())});
    BOOST_TEST_REQUIRE(queued.rows() == 1);
    Json payload = Json::parse(queued.get(0, 0));
    BOOST_TEST(payload["channel"] == "room-community");
    BOOST_TEST(payload["event"]["type"] == "message");
    BOOST_TEST(payload["event"]["message"]["id"] == m["id"]);
}

BOOST_AUTO_TEST_CASE(bad_messages_are_refused_and_store_nothing) {
    auto ana = user("Ana");
    auto before = db().exec("SELECT count(*) FROM chat_messages WHERE user_id = $1", {ana.id}).get_int(0, 0);
    struct Case { std::string body; long status; std::string code; };
    for (const auto& c : std::vector<Case>{
             {"", 415, "unsupported_media_type"},
             {"[]", 400, "invalid_json"},
             {"{\"body\":\"\"}", 422, "invalid_length"},
             {"{\"body\":\"   \"}", 422, "invalid_length"},
             {"{}", 422, "invalid_length"},
             {"{\"body\":42}", 422, "invalid_field"},
             {Json{{"body", std::string(1001, 'a')}}.dump(), 422, "invalid_length"},
             {Json{{"body", "two\nlines"}}.dump(), 422, "invalid_field"},
             {Json{{"body", "bell\x07"}}.dump(), 422, "invalid_field"},
             {Json{{"body", "rtl\u202eoverride"}}.dump(), 422, "invalid_field"},
             {Json{{"body", "hi"}, {"room", "x"}}.dump(), 422, "unknown_field"},
         }) {
        auto r = call("POST", messages("community"), &ana, c.body);
        BOOST_TEST(r.status == c.status, c.body << " → " << r.body);
        BOOST_TEST(error_code(r) == c.code, c.body << " → " << r.body);
    }
    // 1,000 code points (4 bytes each) is the most, and fits.
    std::string longest;
    for (int i = 0; i < 1000; ++i) longest += "😀";
    BOOST_TEST(call("POST", messages("community"), &ana, Json{{"body", longest}}.dump()).status == 201);
    BOOST_TEST(db().exec("SELECT count(*) FROM chat_messages WHERE user_id = $1", {ana.id}).get_int(0, 0) == before + 1);

    BOOST_TEST(call("POST", messages("community"), nullptr, Json{{"body", "hi"}}.dump()).status == 401);
    auto form = call("POST", messages("community"), &ana, "body=hi", settings, {{"content-type", "application/x-www-form-urlencoded"}});
    BOOST_TEST(form.status == 415, form.body);
    BOOST_TEST(call("POST", messages("lobby"), &ana, Json{{"body", "hi"}}.dump()).status == 404);
    BOOST_TEST(call("POST", messages("live-999999999"), &ana, Json{{"body", "hi"}}.dump()).status == 404);
    // Another site riding the cookie.
    auto csrf = call("POST", messages("community"), &ana, Json{{"body", "hi"}}.dump(), settings, {{"origin", "https://evil.example"}});
    BOOST_TEST(csrf.status == 403, csrf.body);
}

BOOST_AUTO_TEST_CASE(direct_rooms_are_for_their_two_people_only) {
    auto ana = user("Ana"), ben = user("Ben"), eve = user("Eve"), admin = user("Root", "free", "admin");
    const std::string room = chat::direct_room(ana.id, ben.id);
    say(ana, room, "hi Ben");
    say(ben, room, "hi Ana");
    auto read = call("GET", messages(room), &ben);
    BOOST_TEST_REQUIRE(read.status == 200, read.body);
    BOOST_TEST(testing::body_json(read)["messages"].size() == 2u);
    // Anyone else: as if the room didn't exist (admins too: direct messages are private).
    for (const auto* who : {&eve, &admin}) {
        BOOST_TEST(call("GET", messages(room), who).status == 404);
        BOOST_TEST(call("POST", messages(room), who, Json{{"body", "psst"}}.dump()).status == 404);
        BOOST_TEST(authorize(ws(room), who).status == 403);
    }
    BOOST_TEST(authorize(ws(room), &ana).status == 200);
    // A room with someone who doesn't exist; the reversed spelling.
    BOOST_TEST(call("POST", messages(chat::direct_room(ana.id, 999999999)), &ana, Json{{"body", "x"}}.dump()).status == 404);
    BOOST_TEST(call("GET", messages("dm-" + std::to_string(ben.id) + "-" + std::to_string(ana.id)), &ana).status == 404);
    // Someone banned can't be written to; the history stays readable.
    BOOST_TEST_REQUIRE(set_ban(ben.id, true, "test", std::nullopt, Json::object()).changed);
    auto to_banned = call("POST", messages(room), &ana, Json{{"body", "still there?"}}.dump());
    BOOST_TEST(to_banned.status == 409);
    BOOST_TEST(error_code(to_banned) == "recipient_unavailable");
    BOOST_TEST(call("GET", messages(room), &ana).status == 200);
}

BOOST_AUTO_TEST_CASE(live_rooms_follow_their_stream) {
    auto host = user("Host", "prime"), free = user("Free"), prime = user("Prime", "prime");
    const long long open = live_stream(host, false), members = live_stream(user("Other host", "prime"), true);
    say(free, live_room(open), "hello host");
    // A PRIME-only stream: free members get the upsell, PRIME members and the host get in.
    auto upsell = call("POST", messages(live_room(members)), &free, Json{{"body", "let me in"}}.dump());
    BOOST_TEST(upsell.status == 403);
    BOOST_TEST(error_code(upsell) == "prime_required");
    BOOST_TEST(call("GET", messages(live_room(members)), &free).status == 403);
    BOOST_TEST(authorize(ws(live_room(members)), &free).status == 403);
    say(prime, live_room(members), "hi");
    BOOST_TEST(authorize(ws(live_room(members)), &prime).status == 200);
    // An ended stream: its history is there, nobody posts any more.
    const long long ended = live_stream(user("Gone host", "prime"), false, "ended");
    auto late = call("POST", messages(live_room(ended)), &prime, Json{{"body", "am I late?"}}.dump());
    BOOST_TEST(late.status == 409);
    BOOST_TEST(error_code(late) == "stream_ended");
    BOOST_TEST(call("GET", messages(live_room(ended)), &prime).status == 200);
}

BOOST_AUTO_TEST_CASE(history_walks_back_by_keyset_pages) {
    auto ana = user("Ana");
    const std::string room = chat::direct_room(ana.id, user("Ben").id);
    std::vector<long long> ids;
    for (int i = 0; i < 7; ++i) ids.push_back(say(ana, room, "m" + std::to_string(i)));
    // Rows of one instant go by id: the same time for three of them.
    db().exec("UPDATE chat_messages SET created_at = '2026-01-01T00:00:00Z' WHERE id = ANY($1::bigint[])",
              {"{" + std::to_string(ids[2]) + "," + std::to_string(ids[3]) + "," + std::to_string(ids[4]) + "}"});
    auto expected = db().exec("SELECT id FROM chat_messages WHERE room = $1 ORDER BY created_at DESC, id DESC", {room});
    std::vector<long long> seen;
    std::string next;
    for (int page = 0; page < 10; ++page) {
        auto r = call("GET", messages(room) + "?limit=3" + (next.empty() ? "" : "&before=" + next), &ana);
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        Json body = testing::body_json(r);
        BOOST_TEST(body["messages"].size() <= 3u);
        for (const auto& m : body["messages"]) seen.push_back(m["id"]);
        if (body["before"].is_null()) break;
        next = body["before"];
    }
    std::vector<long long> want;
    for (int i = 0; i < expected.rows(); ++i) want.push_back(expected.get_int(i, 0));
    BOOST_TEST(seen == want);
    BOOST_TEST(call("GET", messages(room) + "?before=garbage", &ana).status == 400);
    BOOST_TEST(call("GET", messages(room) + "?limit=0", &ana).status == 400);
    BOOST_TEST(call("GET", messages(room) + "?limit=101", &ana).status == 400);
}

BOOST_AUTO_TEST_CASE(deleting_a_message_hides_it_and_tells_the_room) {
    auto ana = user("Ana"), ben = user("Ben"), admin = user("Root", "free", "admin");
    const long long mine = say(ana, "community", "oops"), other = say(ana, "community", "rude");
    const std::string uri = messages("community") + "/";
    BOOST_TEST(call("DELETE", uri + std::to_string(mine), &ben).status == 403);
    BOOST_TEST(call("DELETE", uri + std::to_string(mine), &ana).status == 200);
    BOOST_TEST(call("DELETE", uri + std::to_string(mine), &ana).status == 404);  // once
    BOOST_TEST(call("DELETE", uri + std::to_string(other), &admin).status == 200);
    BOOST_TEST(call("DELETE", uri + "999999999", &admin).status == 404);
    BOOST_TEST(call("DELETE", uri + "abc", &admin).status == 404);
    BOOST_TEST(call("DELETE", messages("lobby") + "/" + std::to_string(other), &admin).status == 404);
    const long long kept = say(ana, "community", "fine");
    std::set<long long> listed;
    auto page = call("GET", messages("community") + "?limit=100", &ben);
    BOOST_TEST_REQUIRE(page.status == 200, page.body);
    const Json listing = testing::body_json(page);
    for (const auto& m : listing["messages"]) listed.insert(m["id"].get<long long>());
    BOOST_TEST(listed.count(kept) == 1u);
    BOOST_TEST(listed.count(mine) == 0u);
    BOOST_TEST(listed.count(other) == 0u);
    // The admin's delete is audited; both are announced through the outbox (never lost).
    BOOST_TEST(db().exec("SELECT count(*) FROM audit_log WHERE action = 'chat.delete' AND subject_id = $1", {std::to_string(other)}).get_int(0, 0) == 1);
    for (long long id : {mine, other})
        BOOST_TEST(db().exec("SELECT count(*) FROM outbox WHERE dedupe_key = $1 AND payload->'event'->>'type' = 'deleted'",
                             {"chat-deleted:" + std::to_string(id)}).get_int(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(a_mute_keeps_someone_out_of_one_room_for_a_while) {
    auto ana = user("Ana"), ben = user("Ben"), admin = user("Root", "free", "admin"), host = user("Host", "prime");
    const std::string mutes = std::string(chat::rooms_path) + "community/mutes";
    auto by_member = call("POST", mutes, &ben, Json{{"user_id", ana.id}, {"minutes", 10}}.dump());
    BOOST_TEST(by_member.status == 403);
    for (const auto& bad : {Json{{"user_id", ana.id}}, Json{{"minutes", 10}}, Json{{"user_id", ana.id}, {"minutes", 0}},
                            Json{{"user_id", ana.id}, {"minutes", 43201}}, Json{{"user_id", "x"}, {"minutes", 5}},
                            Json{{"user_id", ana.id}, {"minutes", 5}, {"why", "x"}}}) {
        auto r = call("POST", mutes, &admin, bad.dump());
        BOOST_TEST(r.status == 422, bad.dump() << " → " << r.body);
    }
    BOOST_TEST(call("POST", mutes, &admin, Json{{"user_id", 999999999}, {"minutes", 5}}.dump()).status == 404);
    BOOST_TEST(call("POST", mutes, &admin, Json{{"user_id", admin.id}, {"minutes", 5}}.dump()).status == 409);
    auto muted = call("POST", mutes, &admin, Json{{"user_id", ana.id}, {"minutes", 10}, {"reason", "spam"}}.dump());
    BOOST_TEST_REQUIRE(muted.status == 200, muted.body);
    // Out of this room: no posting, no history, no subscription; and their open one is closed.
    auto post = call("POST", messages("community"), &ana, Json{{"body", "let me talk"}}.dump());
    BOOST_TEST(post.status == 403);
    BOOST_TEST(error_code(post) == "muted");
    BOOST_TEST(call("GET", messages("community"), &ana).status == 403);
    BOOST_TEST(authorize(ws("community"), &ana).status == 403);
    BOOST_TEST(outbox_rows("member-community-" + std::to_string(ana.id)) == 1);
    BOOST_TEST(db().exec("SELECT count(*) FROM audit_log WHERE action = 'chat.mute' AND subject_id = $1", {std::to_string(ana.id)}).get_int(0, 0) == 1);
    // Other rooms are not affected.
    say(ana, chat::direct_room(ana.id, ben.id), "still here");
    // A mute that has run out is no mute.
    db().exec("UPDATE chat_mutes SET until = now() - interval '1 second' WHERE user_id = $1", {ana.id});
    say(ana, "community", "back");
    // Unmute: moderators only, once.
    BOOST_TEST(call("POST", mutes, &admin, Json{{"user_id", ana.id}, {"minutes", 10}}.dump()).status == 200);
    BOOST_TEST(call("DELETE", mutes + "/" + std::to_string(ana.id), &ben).status == 403);
    BOOST_TEST(call("DELETE", mutes + "/" + std::to_string(ana.id), &admin).status == 200);
    BOOST_TEST(call("DELETE", mutes + "/" + std::to_string(ana.id), &admin).status == 404);
    say(ana, "community", "free again");
    // A live stream's host moderates its room, and only that one.
    const std::string live = live_room(live_stream(host, false));
    BOOST_TEST(call("POST", std::string(chat::rooms_path) + live + "/mutes", &host, Json{{"user_id", ben.id}, {"minutes", 5}}.dump()).status == 200);
    BOOST_TEST(call("POST", messages(live), &ben, Json{{"body", "hey"}}.dump()).status == 403);
    BOOST_TEST(call("POST", mutes, &host, Json{{"user_id", ben.id}, {"minutes", 5}}.dump()).status == 403);
}

BOOST_AUTO_TEST_CASE(nginx_asks_who_may_subscribe) {
    auto ana = user("Ana");
    auto ok = authorize(ws("community") + "?x=1", &ana);
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.body.empty());
    BOOST_TEST(find_value(ok.headers, "X-User-Id").value_or("") == std::to_string(ana.id));
    BOOST_TEST(authorize(ws("community"), nullptr).status == 401);
    for (const std::string& uri : {ws("lobby"), ws(""), ws("community/x"), std::string("/api/webapp/chat/community"), std::string("/elsewhere")})
        BOOST_TEST(authorize(uri, &ana).status == 403, uri);
    // Without nginx's header it is no subscriber check.
    auto direct = call("GET", std::string(chat::authorize_path), &ana);
    BOOST_TEST(direct.status == 400);
    // A banned person's cookie is no session any more.
    BOOST_TEST_REQUIRE(set_ban(ana.id, true, "test", std::nullopt, Json::object()).changed);
    BOOST_TEST(authorize(ws("community"), &ana).status == 401);
    // …and the ban closes every open connection of theirs, through the outbox.
    BOOST_TEST(outbox_rows("user-" + std::to_string(ana.id)) == 1);
}

BOOST_AUTO_TEST_CASE(posting_is_rate_limited_per_person) {
    const auto strict = testing::settings<chat::Settings>({{"SESSION_SECRETS", "chat-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"},
                                                           {"NCHAN_PUBLISH_SOCKET", "/nonexistent/nchan.sock"},
                                                           {"CHAT_MESSAGES_PER_MINUTE", "3"}});
    auto ana = user("Ana"), ben = user("Ben");
    for (int i = 0; i < 3; ++i) BOOST_TEST(call("POST", messages("community"), &ana, Json{{"body", "x"}}.dump(), strict).status == 201);
    auto limited = call("POST", messages("community"), &ana, Json{{"body", "x"}}.dump(), strict);
    BOOST_TEST(limited.status == 429);
    BOOST_TEST(find_value(limited.headers, "Retry-After").has_value());
    // Bad input costs no quota; others have their own.
    BOOST_TEST(call("POST", messages("community"), &ben, Json{{"body", "x"}}.dump(), strict).status == 201);
}

BOOST_AUTO_TEST_CASE(direct_rooms_are_nobody_elses_to_moderate_either) {
    auto ana = user("Ana"), ben = user("Ben"), eve = user("Eve"), admin = user("Root", "free", "admin");
    const std::string room = chat::direct_room(ana.id, ben.id);
    const long long id = say(ana, room, "just us");
    const std::string uri = messages(room) + "/" + std::to_string(id);
    // Outsiders, admins included: the room doesn't exist, whether the message is in it or not.
    for (const auto* who : {&eve, &admin}) {
        BOOST_TEST(call("DELETE", uri, who).status == 404);
        BOOST_TEST(call("DELETE", messages(room) + "/999999999", who).status == 404);
        BOOST_TEST(call("POST", std::string(chat::rooms_path) + room + "/mutes", who, Json{{"user_id", ana.id}, {"minutes", 5}}.dump()).status == 404);
        BOOST_TEST(call("DELETE", std::string(chat::rooms_path) + room + "/mutes/" + std::to_string(ana.id), who).status == 404);
    }
    // The other person can't delete it or mute anyone there; its author can delete it.
    BOOST_TEST(call("DELETE", uri, &ben).status == 403);
    BOOST_TEST(call("POST", std::string(chat::rooms_path) + room + "/mutes", &ben, Json{{"user_id", ana.id}, {"minutes", 5}}.dump()).status == 403);
    BOOST_TEST(call("DELETE", uri, &ana).status == 200);
}

BOOST_AUTO_TEST_CASE(another_sites_page_cant_subscribe_with_the_cookie) {
    auto ana = user("Ana");
    auto foreign = call("GET", std::string(chat::authorize_path), &ana, {}, settings,
                        {{"x-original-uri", ws("community")}, {"origin", "https://evil.example"}});
    BOOST_TEST(foreign.status == 403);
    auto ours = call("GET", std::string(chat::authorize_path), &ana, {}, settings,
                     {{"x-original-uri", ws("community")}, {"origin", "https://pnptv.test"}});
    BOOST_TEST(ours.status == 200);
}

BOOST_AUTO_TEST_CASE(whoever_loses_access_has_their_connections_closed_by_the_database) {
    auto prime = user("Prime", "prime"), admin = user("Root", "free", "admin"), host = user("Host", "prime");
    // PRIME ending (any path: expiry, revocation, psql) and admin rights going close their channel.
    db().exec("UPDATE users SET tier = 'free' WHERE id = $1", {prime.id});
    db().exec("UPDATE users SET role = 'user' WHERE id = $1", {admin.id});
    BOOST_TEST(outbox_rows("user-" + std::to_string(prime.id)) == 1);
    BOOST_TEST(outbox_rows("user-" + std::to_string(admin.id)) == 1);
    // Gaining something closes nothing.
    db().exec("UPDATE users SET tier = 'prime' WHERE id = $1", {prime.id});
    BOOST_TEST(outbox_rows("user-" + std::to_string(prime.id)) == 1);
    // A banned host's stream ends, its viewers told once.
    const long long stream = live_stream(host, false);
    db().exec("UPDATE users SET banned_at = now() WHERE id = $1", {host.id});
    BOOST_TEST(db().exec("SELECT status FROM live_streams WHERE id = $1", {stream}).get(0, 0) == "ended");
    BOOST_TEST(outbox_rows("room-live-" + std::to_string(stream)) == 1);
    BOOST_TEST(outbox_rows("user-" + std::to_string(host.id)) == 1);
    BOOST_TEST(call("POST", messages(live_room(stream)), &prime, Json{{"body", "still on?"}}.dump()).status == 409);
    // A host who loses PRIME can't stay live; an admin host without PRIME can.
    auto lapsed = user("Lapsed", "prime"), staff = user("Staff", "free", "admin");
    const long long lapsed_stream = live_stream(lapsed, false), staff_stream = live_stream(staff, false);
    db().exec("UPDATE users SET tier = 'free' WHERE id = ANY($1::bigint[])", {"{" + std::to_string(lapsed.id) + "," + std::to_string(staff.id) + "}"});
    BOOST_TEST(db().exec("SELECT status FROM live_streams WHERE id = $1", {lapsed_stream}).get(0, 0) == "ended");
    BOOST_TEST(outbox_rows("room-live-" + std::to_string(lapsed_stream)) == 1);
    BOOST_TEST(db().exec("SELECT status FROM live_streams WHERE id = $1", {staff_stream}).get(0, 0) == "live");
}

BOOST_AUTO_TEST_CASE(a_reconnect_is_checked_against_postgresql_not_a_lagging_guard_record) {
    auto ana = user("Ana"), host = user("Host", "prime"), fan = user("Fan", "prime");
    BOOST_TEST(authorize(ws("community"), &ana).status == 200);
    // Changed in PostgreSQL only (the Node stack, psql): the guard's Redis record still says otherwise.
    db().exec("UPDATE users SET banned_at = now() WHERE id = $1", {ana.id});
    BOOST_TEST(authorize(ws("community"), &ana).status == 401);
    const long long members = live_stream(host, true);
    BOOST_TEST(authorize(ws(live_room(members)), &fan).status == 200);
    db().exec("UPDATE users SET tier = 'free' WHERE id = $1", {fan.id});
    BOOST_TEST(authorize(ws(live_room(members)), &fan).status == 403);
}

BOOST_AUTO_TEST_CASE(a_muted_author_may_still_delete_their_message) {
    auto ana = user("Ana"), admin = user("Root", "free", "admin");
    const long long id = say(ana, "community", "my phone is 555-0100 oops");
    BOOST_TEST(call("POST", std::string(chat::rooms_path) + "community/mutes", &admin, Json{{"user_id", ana.id}, {"minutes", 5}}.dump()).status == 200);
    BOOST_TEST(call("DELETE", messages("community") + "/" + std::to_string(id), &ana).status == 200);
}
