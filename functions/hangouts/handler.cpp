#include "handler.hpp"

#include <ctime>

#include "crypto.hpp"
#include "fields.hpp"
#include "live.hpp"
#include "people.hpp"
#include "text.hpp"

namespace hangouts {

using namespace pnptv;

namespace {

constexpr int max_rooms_listed = 100;

const std::string room_sql =
    "SELECT r.id, r.name, r.channel, r.owner_id, to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, "
    "(SELECT count(*) FROM hangout_members m WHERE m.room_id = r.id AND m.removed_at IS NULL) AS members FROM hangout_rooms r ";

Json room_json(const Settings& s, const Identity& me, const PgResult& r, int i) {
    const long long id = r.get_int(i, "id");
    return {{"id", id},
            {"name", r.get(i, "name")},
            {"owner_id", r.get_int(i, "owner_id")},
            {"mine", r.get_int(i, "owner_id") == me.user_id},
            {"members", r.get_int(i, "members")},
            {"created_at", r.get(i, "created_at")},
            {"link", hangout_page_link(s.web.public_base_url, id)}};
}

// An open room the caller is a member of; to anyone else it doesn't exist.
PgResult member_room(const Identity& me, long long id) {
    auto r = db().exec(room_sql + "WHERE r.id = $1 AND r.closed_at IS NULL AND EXISTS "
                       "(SELECT 1 FROM hangout_members m WHERE m.room_id = r.id AND m.user_id = $2 AND m.removed_at IS NULL)", {id, me.user_id});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such room.");
    return r;
}

PgResult owned_room(const Identity& me, long long id) {
    auto r = member_room(me, id);
    if (r.get_int(0, "owner_id") != me.user_id) throw HttpError(403, "forbidden", "Only the room's owner can do this.");
    return r;
}

Response open(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    Json body = request.body.empty() ? Json::object() : parse_json_object(request);
    reject_unknown_fields(body, {"name"});
    std::string name = to_lower(text_field(body, "name", TextRule{1, 32, false}).value_or(to_hex(random_bytes(4))));
    if (!valid_hangout_name(name)) throw HttpError(422, "invalid_field", "name may hold only a-z, 0-9, _ and - (1 to 32).", "name");
    HangoutRoom room = open_hangout(me.user_id, name);
    return Response::json(room.created ? 201 : 200, {{"room", room_json(s, me, member_room(me, room.id), 0)}});
}

Response list(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    auto r = db().exec(room_sql + "JOIN hangout_members me ON me.room_id = r.id AND me.user_id = $1 AND me.removed_at IS NULL "
                       "WHERE r.closed_at IS NULL "
                       "ORDER BY r.created_at DESC, r.id DESC LIMIT $2", {me.user_id, max_rooms_listed});
    Json rooms = Json::array();
    for (int i = 0; i < r.rows(); ++i) rooms.push_back(room_json(s, me, r, i));
    return Response::json(200, {{"rooms", rooms}});
}

Response show(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto room = member_room(me, path_id(params, "id", "room"));
    auto people = db().exec("SELECT " + std::string(person_columns) + ", m.via FROM hangout_members m JOIN users u ON u.id = m.user_id "
                            "WHERE m.room_id = $1 AND m.removed_at IS NULL AND u.deleted_at IS NULL ORDER BY m.created_at, u.id", {room.get_int(0, "id")});
    Json members = Json::array();
    for (int i = 0; i < people.rows(); ++i) {
        Json p = person_json(people, i);
        p["via"] = people.get(i, "via");
        members.push_back(p);
    }
    Json out = room_json(s, me, room, 0);
    out["people"] = members;
    return Response::json(200, {{"room", out}});
}

// Everyone in a hangout talks and shows video: members get a publisher token.
Response token(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto room = member_room(me, path_id(params, "id", "room"));
    return Response::json(200, {{"token", rtc_token_json(s.hangouts.agora, room.get(0, "channel"), me.user_id, AgoraRole::publisher)}});
}

Response invite(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto room = owned_room(me, path_id(params, "id", "room"));
    const long long expires = static_cast<long long>(std::time(nullptr)) + s.hangouts.invite_hours * 3600LL;
    const std::string text = hangout_invite(s.hangouts, room.get_int(0, "id"), expires);
    return Response::json(201, {{"invite", text}, {"link", hangout_invite_link(s.web.public_base_url, text)}, {"expires_at", expires}});
}

Response join(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"invite"});
    auto text = text_field(body, "invite", TextRule{1, 128, false});
    if (!text) throw HttpError(422, "missing_field", "invite is required.", "invite");
    // A forged, altered or expired invitation and one to a closed room read the same.
    const HttpError refused(403, "invalid_invite", "This invitation is not valid (any more).", "invite");
    auto room = invited_room(s.hangouts, *text, std::time(nullptr));
    if (!room) throw refused;
    // Once only, however often used; a member the owner removed stays out (the owner may admit them again).
    db().exec("INSERT INTO hangout_members (room_id, user_id, added_by, via) "
              "SELECT r.id, $2, r.owner_id, 'invite' FROM hangout_rooms r WHERE r.id = $1 AND r.closed_at IS NULL "
              "ON CONFLICT (room_id, user_id) DO NOTHING", {*room, me.user_id});
    auto member = db().exec("SELECT 1 FROM hangout_members m JOIN hangout_rooms r ON r.id = m.room_id "
                            "WHERE m.room_id = $1 AND m.user_id = $2 AND m.removed_at IS NULL AND r.closed_at IS NULL", {*room, me.user_id});
    if (member.rows() == 0) throw refused;
    return Response::json(200, {{"room", room_json(s, me, member_room(me, *room), 0)}});
}

Response admit(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"user_id"});
    auto user = count_field(body, "user_id", 1, std::numeric_limits<long long>::max());
    if (!user) throw HttpError(422, "missing_field", "user_id is required.", "user_id");
    auto room = owned_room(me, path_id(params, "id", "room"));
    auto added = db().exec("INSERT INTO hangout_members (room_id, user_id, added_by, via) "
                           "SELECT $1, u.id, $3, 'admitted' FROM users u WHERE u.id = $2 AND u.banned_at IS NULL AND u.deleted_at IS NULL "
                           "ON CONFLICT (room_id, user_id) DO UPDATE SET removed_at = NULL, added_by = EXCLUDED.added_by, "
                           "  via = CASE WHEN hangout_members.removed_at IS NULL THEN hangout_members.via ELSE 'admitted' END "
                           "RETURNING user_id", {room.get_int(0, "id"), *user, me.user_id});
    if (added.rows() == 0) throw HttpError(404, "not_found", "No such person.", "user_id");
    return Response::json(200, {{"room", room_json(s, me, member_room(me, room.get_int(0, "id")), 0)}});
}

// The owner removes anyone else; a member leaves. Their current token lasts until it expires
// (Agora can't take one back); they get no new one.
Response remove_member(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto room = member_room(me, path_id(params, "id", "room"));
    const long long user = path_id(params, "user", "member");
    const long long owner = room.get_int(0, "owner_id");
    if (user == owner) throw HttpError(409, "owner_stays", "The owner can't leave their room; close it instead.");
    if (user != me.user_id && me.user_id != owner) throw HttpError(403, "forbidden", "Only the room's owner can remove others.");
    // Leaving is not being removed: one who leaves may come back with an invitation.
    const bool left = db().exec(user == me.user_id ? "DELETE FROM hangout_members WHERE room_id = $1 AND user_id = $2 AND removed_at IS NULL"
                                                   : "UPDATE hangout_members SET removed_at = now() WHERE room_id = $1 AND user_id = $2 AND removed_at IS NULL",
                                {room.get_int(0, "id"), user}).affected() > 0;
    if (!left)
        throw HttpError(404, "not_found", "No such member.");
    return Response::json(200, {{"removed", true}});
}

Response close(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto room = owned_room(me, path_id(params, "id", "room"));
    db().exec("UPDATE hangout_rooms SET closed_at = now() WHERE id = $1 AND closed_at IS NULL", {room.get_int(0, "id")});
    return Response::json(200, {{"closed", true}});
}

const std::string room_path = std::string(rooms_path) + "/:id";

const Router<Settings> routes({
    {"POST", std::string(rooms_path), open, body(1024).limit("pnptv_api:50")},
    {"GET", std::string(rooms_path), list, body(0).limit("pnptv_api:50")},
    {"GET", room_path, show, body(0).limit("pnptv_api:50")},
    {"DELETE", room_path, close, body(0).limit("pnptv_api:50")},
    {"GET", room_path + "/token", token, body(0).limit("pnptv_api:50")},
    {"POST", room_path + "/invites", invite, body(0).limit("pnptv_api:50")},
    {"POST", room_path + "/members", admit, body(1024).limit("pnptv_api:50")},
    {"DELETE", room_path + "/members/:user", remove_member, body(0).limit("pnptv_api:50")},
    {"POST", std::string(join_path), join, body(1024).limit("pnptv_api:50")},
});

}  // namespace

Settings Settings::read(SettingsReader& r) { return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), HangoutSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("hangouts", routes);
    return f;
}

}  // namespace hangouts
