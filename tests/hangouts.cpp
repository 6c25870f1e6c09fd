// functions/hangouts in process (real PostgreSQL and Redis): rooms belong to their creator,
// others get in through a signed, expiring invitation or by being admitted; tokens only for
// members; removal, leaving, closing; bad inputs.
#define BOOST_TEST_MODULE hangouts
#include <boost/test/unit_test.hpp>

#include <ctime>

#include "../functions/hangouts/handler.hpp"
#include "agora.hpp"
#include "pg.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

const auto settings = testing::settings<hangouts::Settings>(
    {{"SESSION_SECRETS", "hangout-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}, {"AGORA_APP_ID", "970CA35de60c44645bbae8a215061b33"},
     {"AGORA_APP_CERTIFICATE", "5CFd2fd1755d40ecb72977518be15d3b"}, {"AGORA_TOKEN_TTL_SECONDS", "900"},
     {"HANGOUT_INVITE_SECRET", "invite-secret"}, {"HANGOUT_INVITE_HOURS", "2"}});

testing::TestUser user(const std::string& name = "Ana", const std::string& role = "user") {
    return testing::make_user(settings.web.session, name, role, "free");
}

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who = nullptr, const std::string& body = {}) {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return hangouts::handle(settings, make_request(method, uri, body, headers));
}

const std::string rooms = std::string(hangouts::rooms_path), join = std::string(hangouts::join_path);
std::string room_uri(long long id, const std::string& rest = "") { return rooms + "/" + std::to_string(id) + rest; }
std::string error_code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }

long long open_room(const testing::TestUser& owner, const std::string& name) {
    auto r = call("POST", rooms, &owner, Json{{"name", name}}.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return testing::body_json(r)["room"]["id"];
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_room_is_its_creators_and_only_members_get_a_token) {
    auto ana = user("Ana"), eve = user("Eve"), admin = user("Root", "admin");
    const long long id = open_room(ana, "Friday");
    auto again = call("POST", rooms, &ana, Json{{"name", "friday"}}.dump());
    BOOST_TEST(again.status == 200);  // the same open room
    BOOST_TEST(testing::body_json(again)["room"]["id"] == id);
    auto t = call("GET", room_uri(id, "/token"), &ana);
    BOOST_TEST_REQUIRE(t.status == 200, t.body);
    Json token = testing::body_json(t)["token"];
    auto decoded = decode_agora_token(token["token"].get<std::string>());
    BOOST_REQUIRE(decoded.has_value());
    const std::string channel = db().exec("SELECT channel FROM hangout_rooms WHERE id = $1", {id}).get(0, 0);
    BOOST_TEST(decoded->channel == channel);
    BOOST_TEST(channel.rfind("hangout-", 0) == 0u);
    BOOST_TEST(channel.find("friday") == std::string::npos);  // not guessable from the name
    BOOST_TEST(decoded->uid == std::to_string(ana.id));
    BOOST_TEST(decoded->expire == 900u);
    BOOST_TEST(decoded->privileges.size() == 4u);
    BOOST_TEST(agora_signature_valid(*decoded, "5CFd2fd1755d40ecb72977518be15d3b"));
    // Anyone else, admins included: no token, and the room doesn't exist for them.
    for (const auto* who : {&eve, &admin}) {
        BOOST_TEST(call("GET", room_uri(id, "/token"), who).status == 404);
        BOOST_TEST(call("GET", room_uri(id), who).status == 404);
        BOOST_TEST(call("POST", room_uri(id, "/invites"), who).status == 404);
    }
    BOOST_TEST(call("GET", room_uri(id, "/token")).status == 401);
}

BOOST_AUTO_TEST_CASE(an_invitation_admits_until_it_expires_and_only_as_signed) {
    auto ana = user("Ana"), ben = user("Ben"), eve = user("Eve");
    const long long id = open_room(ana, "party");
    auto made = call("POST", room_uri(id, "/invites"), &ana);
    BOOST_TEST_REQUIRE(made.status == 201, made.body);
    const Json inv = testing::body_json(made);
    BOOST_TEST(inv["link"].get<std::string>().rfind("https://pnptv.test/hangouts/?invite=", 0) == 0u);
    const long long expires = inv["expires_at"];
    BOOST_TEST(expires >= static_cast<long long>(std::time(nullptr)) + 2 * 3600 - 5);
    BOOST_TEST(call("POST", room_uri(id, "/invites"), &ben).status == 404);  // not a member, let alone the owner
    const std::string text = inv["invite"];
    // Altered, forged, expired, for a closed room: all the same refusal, nobody added.
    const std::string other_room = std::to_string(id + 1) + text.substr(text.find('.'));
    const std::string later = std::to_string(id) + "." + std::to_string(expires + 3600) + text.substr(text.rfind('.'));
    const std::string expired = hangout_invite(settings.hangouts, id, std::time(nullptr) - 1);
    HangoutSettings wrong = settings.hangouts;
    wrong.invite_secret = Secret("another-secret");
    const std::string zero_room = "0" + text, zero_expiry = std::to_string(id) + ".0" + text.substr(text.find('.') + 1);
    for (const std::string& bad : {other_room, later, expired, hangout_invite(wrong, id, expires), text + "x", std::string("1.2"), std::string("..."),
                                   zero_room, zero_expiry}) {
        auto r = call("POST", join, &eve, Json{{"invite", bad}}.dump());
        BOOST_TEST(r.status == 403, bad << " → " << r.body);
        BOOST_TEST(error_code(r) == "invalid_invite");
    }
    BOOST_TEST(call("GET", room_uri(id, "/token"), &eve).status == 404);
    for (const auto& bad : {std::string("{}"), Json{{"invite", 5}}.dump(), Json{{"invite", text}, {"room", id}}.dump(), std::string("nope")}) {
        auto r = call("POST", join, &eve, bad);
        BOOST_TEST((r.status == 400 || r.status == 422), bad << " → " << r.body);
        BOOST_TEST(error_code(r) == (bad == "nope" ? "invalid_json" : bad == "{}" ? "missing_field" : bad.find("room") != std::string::npos ? "unknown_field" : "invalid_field"), r.body);
    }
    // The real one admits Ben, once however often he uses it.
    for (int i = 0; i < 2; ++i) {
        auto r = call("POST", join, &ben, Json{{"invite", text}}.dump());
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        BOOST_TEST(testing::body_json(r)["room"]["members"] == 2);
    }
    BOOST_TEST(call("GET", room_uri(id, "/token"), &ben).status == 200);
    auto shown = testing::body_json(call("GET", room_uri(id), &ben))["room"];
    BOOST_TEST(shown["mine"] == false);
    BOOST_TEST(shown["people"].size() == 2u);
    BOOST_TEST(shown["people"][1]["via"] == "invite");
    // Closed by its owner: the invitation admits nobody, members get no token.
    BOOST_TEST(call("DELETE", room_uri(id), &ben).status == 403);
    BOOST_TEST(call("DELETE", room_uri(id), &ana).status == 200);
    BOOST_TEST(call("POST", join, &eve, Json{{"invite", text}}.dump()).status == 403);
    BOOST_TEST(call("GET", room_uri(id, "/token"), &ben).status == 404);
    // A new room of the same name is another room: the old invitation doesn't open it.
    const long long reopened = open_room(ana, "party");
    BOOST_TEST(reopened != id);
    BOOST_TEST(call("POST", join, &eve, Json{{"invite", text}}.dump()).status == 403);
}

BOOST_AUTO_TEST_CASE(the_owner_admits_and_removes_members_who_may_leave) {
    auto ana = user("Ana"), ben = user("Ben"), carl = user("Carl");
    const long long id = open_room(ana, "study");
    BOOST_TEST(call("POST", room_uri(id, "/members"), &ana, Json{{"user_id", 999999999}}.dump()).status == 404);
    BOOST_TEST(call("POST", room_uri(id, "/members"), &ana, Json{{"user_id", "x"}}.dump()).status == 422);
    BOOST_TEST(call("POST", room_uri(id, "/members"), &ana, Json::object().dump()).status == 422);
    for (const auto* who : {&ben, &carl}) BOOST_TEST(call("POST", room_uri(id, "/members"), &ana, Json{{"user_id", who->id}}.dump()).status == 200);
    BOOST_TEST(call("POST", room_uri(id, "/members"), &ana, Json{{"user_id", ben.id}}.dump()).status == 200);  // idempotent
    BOOST_TEST(call("POST", room_uri(id, "/members"), &ben, Json{{"user_id", user("Dan").id}}.dump()).status == 403);  // members don't admit
    BOOST_TEST(call("GET", room_uri(id, "/token"), &carl).status == 200);
    // Ben can't remove Carl; Carl leaves; the owner removes Ben; nobody removes the owner.
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(carl.id)), &ben).status == 403);
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(carl.id)), &carl).status == 200);
    BOOST_TEST(call("GET", room_uri(id, "/token"), &carl).status == 404);
    // Leaving isn't being removed: an invitation brings Carl back.
    const std::string welcome = testing::body_json(call("POST", room_uri(id, "/invites"), &ana))["invite"];
    BOOST_TEST(call("POST", join, &carl, Json{{"invite", welcome}}.dump()).status == 200);
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(carl.id)), &carl).status == 200);
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(ben.id)), &ana).status == 200);
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(ben.id)), &ana).status == 404);
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(ana.id)), &ana).status == 409);
    BOOST_TEST(call("GET", room_uri(id, "/token"), &ben).status == 404);
    // Removed stays removed: the invitation Ben may hold no longer admits him; the owner can.
    const std::string invitation = testing::body_json(call("POST", room_uri(id, "/invites"), &ana))["invite"];
    auto rejoin = call("POST", join, &ben, Json{{"invite", invitation}}.dump());
    BOOST_TEST(rejoin.status == 403);
    BOOST_TEST(error_code(rejoin) == "invalid_invite");
    BOOST_TEST(call("GET", room_uri(id, "/token"), &ben).status == 404);
    BOOST_TEST(call("POST", room_uri(id, "/members"), &ana, Json{{"user_id", ben.id}}.dump()).status == 200);
    BOOST_TEST(call("GET", room_uri(id, "/token"), &ben).status == 200);
    BOOST_TEST(call("DELETE", room_uri(id, "/members/" + std::to_string(ben.id)), &ana).status == 200);
    // The list: rooms one belongs to.
    auto list = testing::body_json(call("GET", rooms, &ana));
    BOOST_TEST(list["rooms"].size() == 1u);
    BOOST_TEST(testing::body_json(call("GET", rooms, &ben))["rooms"].size() == 0u);
}

BOOST_AUTO_TEST_CASE(bad_room_names_are_refused) {
    auto ana = user("Ana");
    for (const auto& bad : {Json{{"name", "../etc"}}, Json{{"name", std::string(33, 'a')}}, Json{{"name", ""}}, Json{{"name", 3}},
                            Json{{"name", "a b"}}, Json{{"title", "x"}}}) {
        auto r = call("POST", rooms, &ana, bad.dump());
        BOOST_TEST(r.status == 422, bad.dump() << " → " << r.body);
    }
    BOOST_TEST(call("POST", rooms, &ana, "[").status == 400);
    // No name: a random one.
    auto unnamed = call("POST", rooms, &ana);
    BOOST_TEST(unnamed.status == 201, unnamed.body);
    BOOST_TEST(call("GET", rooms + "/abc", &ana).status == 404);
    BOOST_TEST(db().exec("SELECT count(*) FROM hangout_rooms WHERE owner_id = $1", {ana.id}).get_int(0, 0) == 1);
}
