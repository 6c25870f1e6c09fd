#include "handler.hpp"

#include "audit.hpp"
#include "csrf.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "log.hpp"
#include "people.hpp"
#include "rate_limit.hpp"
#include "session.hpp"
#include "text.hpp"

namespace chat {

using namespace pnptv;

namespace {

constexpr TextRule message_text{1, 1000, false};  // one line: no control characters at all
constexpr int page_size = 50, max_page_size = 100;
constexpr long long max_mute_minutes = 30LL * 24 * 60;

// A message as every list and event shows it; $1 is the room in both queries below.
const std::string message_columns = "c.id, c.room, c.body, " + keyset_micros_sql("c.created_at") +
                                    " AS at_micros, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at, " +
                                    std::string(person_columns);

Json message_json(const PgResult& r, int i) {
    return {{"id", r.get_int(i, "id")}, {"room", r.get(i, "room")}, {"author", person_json(r, i)},
            {"body", r.get(i, "body")}, {"created_at", r.get(i, "created_at")}};
}

enum class Use { read, post };

void require_unmuted(const Identity& me, const Room& room) {
    auto muted = db().exec("SELECT to_char(until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM chat_mutes "
                           "WHERE room = $1 AND user_id = $2 AND until > now()", {room.name, me.user_id});
    if (muted.rows()) throw HttpError(403, "muted", "You are muted in this room until " + muted.get(0, 0) + ".");
}

// The room exists for this person: a direct room for its two people only (the other one known),
// a live room while its stream is on record. 404 otherwise. Returns the stream's row for a live
// room.
std::optional<PgResult> require_room(const Identity& me, const Room& room, Use use) {
    const HttpError no_room(404, "not_found", "No such room.");
    if (room.kind == Room::Kind::direct) {
        if (me.user_id != room.low && me.user_id != room.high) throw no_room;
        const long long other = me.user_id == room.low ? room.high : room.low;
        auto r = db().exec("SELECT banned_at IS NULL AND deleted_at IS NULL AS reachable FROM users WHERE id = $1", {other});
        if (r.rows() == 0) throw no_room;
        if (use == Use::post && !r.get_bool(0, "reachable")) throw HttpError(409, "recipient_unavailable", "This person can't receive messages.");
    } else if (room.kind == Room::Kind::live) {
        auto r = db().exec("SELECT host_id, status, prime_only FROM live_streams WHERE id = $1", {room.stream_id});
        if (r.rows() == 0) throw no_room;
        return r;
    }
    return std::nullopt;
}

// Who may read and post where. A room one may not know of is a 404; a PRIME stream for a free
// member a 403 with an upsell code; a mute a 403 until it ends.
void require_access(const Identity& me, const Room& room, Use use) {
    if (auto stream = require_room(me, room, use)) {
        const bool host = stream->get_int(0, "host_id") == me.user_id;
        if (stream->get_bool(0, "prime_only") && !host && me.tier != "prime" && me.role != "admin")
            throw HttpError(403, "prime_required", "This stream is for PRIME members.");
        if (use == Use::post && stream->get(0, "status") != "live") throw HttpError(409, "stream_ended", "This stream has ended.");
    }
    // Posting checks the mute in its own INSERT (one round trip less on the hot path).
    if (use == Use::post) return;
    require_unmuted(me, room);
}

Room room_param(const PathParams& params) {
    auto room = parse_room(find_value(params, "room").value_or(""));
    if (!room) throw HttpError(404, "not_found", "No such room.");
    return *room;
}

// Who may moderate the room require_room() found: the host of a live room (its stream's row) and
// admins in every room but direct ones (those are their two people's only). 404 for a room one
// may not know of.
bool moderates(const Identity& me, const Room& room) {
    auto stream = require_room(me, room, Use::read);
    if (room.kind == Room::Kind::direct) return false;
    return me.role == "admin" || (stream && stream->get_int(0, "host_id") == me.user_id);
}

Response post_message(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    Room room = room_param(params);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"body"});
    auto text = text_field(body, "body", message_text);
    if (!text) throw HttpError(422, "invalid_length", "body must be 1 to 1000 characters.", "body");
    require_access(me, room, Use::post);
    enforce_rate_limit("chat", std::to_string(me.user_id), s.messages_per_minute, 60);
    // A ban or a mute that landed since the checks above still stops the message.
    auto r = db().exec("WITH c AS (INSERT INTO chat_messages (room, user_id, body) SELECT $1, u.id, $3 FROM users u "
                       "  WHERE u.id = $2 AND u.banned_at IS NULL AND u.deleted_at IS NULL "
                       "    AND NOT EXISTS (SELECT 1 FROM chat_mutes m WHERE m.room = $1 AND m.user_id = $2 AND m.until > now()) "
                       "  RETURNING *) SELECT " + message_columns + " FROM c JOIN users u ON u.id = c.user_id",
                       {room.name, me.user_id, *text});
    if (r.rows() == 0) {
        require_unmuted(me, room);  // says until when
        throw HttpError(403, "forbidden", "This account can't post here.");
    }
    Json message = message_json(r, 0);
    // Stored first, then pushed at once; if nginx doesn't take it, the outbox retries (the message
    // is in the history meanwhile, which a page reads when it reconnects).
    Json event = {{"type", "message"}, {"message", message}};
    if (!publish(s.realtime, room_channel(room.name), event))
        enqueue_realtime_event(room_channel(room.name), event, "chat:" + std::to_string(message["id"].get<long long>()));
    return Response::json(201, {{"message", message}});
}

Response history(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    Room room = room_param(params);
    const int limit = page_limit(request, page_size, max_page_size);
    auto before = cursor_param(request, "before");
    require_access(me, room, Use::read);
    auto [at, key] = cursor_params(before);
    auto r = db().exec("SELECT " + message_columns + " FROM chat_messages c JOIN users u ON u.id = c.user_id "
                       "WHERE c.room = $1 AND c.deleted_at IS NULL AND u.deleted_at IS NULL AND u.banned_at IS NULL AND " +
                       keyset_after_sql("c.created_at", "c.id", 2) + " ORDER BY c.created_at DESC, c.id DESC LIMIT $4",
                       {room.name, at, key, limit + 1});
    Json page = keyset_page(r, limit, "id", message_json);
    return Response::json(200, {{"messages", page["items"]}, {"before", page["next_cursor"]}});
}

// Its author, the room's moderators: gone from the history, and a `deleted` event tells the pages.
Response delete_message(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    Room room = room_param(params);
    const long long id = path_id(params, "id", "message");
    const bool moderator = moderates(me, room);  // a room one may not know of is no room, for deleting too
    db().transaction([&] {
        auto r = db().exec("SELECT user_id FROM chat_messages WHERE id = $1 AND room = $2 AND deleted_at IS NULL FOR UPDATE", {id, room.name});
        if (r.rows() == 0) throw HttpError(404, "not_found", "No such message.");
        const long long author = r.get_int(0, "user_id");
        if (author != me.user_id && !moderator) throw HttpError(403, "forbidden", "Only its author or a moderator can delete a message.");
        db().exec("UPDATE chat_messages SET deleted_at = now(), deleted_by = $2 WHERE id = $1", {id, me.user_id});
        if (author != me.user_id) audit(me.user_id, "chat.delete", "chat_message", std::to_string(id), {{"room", room.name}, {"author", author}});
        enqueue_realtime_event(room_channel(room.name), {{"type", "deleted"}, {"id", id}}, "chat-deleted:" + std::to_string(id));
    });
    return Response::json(200, {{"deleted", true}});
}

// A mute keeps a person from posting in the room and from listening to it until it ends: their
// subscription to the room is closed (the membership channel), and re-subscribing is refused.
Response mute(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    Room room = room_param(params);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"user_id", "minutes", "reason"});
    auto user = count_field(body, "user_id", 1, std::numeric_limits<long long>::max());
    if (!user) throw HttpError(422, "missing_field", "user_id is required.", "user_id");
    auto minutes = count_field(body, "minutes", 1, max_mute_minutes);
    if (!minutes) throw HttpError(422, "missing_field", "minutes is required (1 to 43200).", "minutes");
    auto reason = text_field(body, "reason", TextRule{0, 500, false});
    if (!moderates(me, room)) throw HttpError(403, "forbidden", "Only a moderator of this room can mute people in it.");
    if (*user == me.user_id) throw HttpError(409, "self_mute", "You can't mute yourself.");
    std::string until;
    db().transaction([&] {
        auto target = db().exec("SELECT role FROM users WHERE id = $1 AND deleted_at IS NULL", {*user});
        if (target.rows() == 0) throw HttpError(404, "not_found", "No such person.", "user_id");
        if (target.get(0, "role") == "admin") throw HttpError(409, "admin_target", "Admins can't be muted.", "user_id");
        auto r = db().exec("INSERT INTO chat_mutes (room, user_id, until, muted_by, reason) "
                           "VALUES ($1, $2, now() + make_interval(mins => $3::int), $4, $5) "
                           "ON CONFLICT (room, user_id) DO UPDATE SET until = EXCLUDED.until, muted_by = EXCLUDED.muted_by, "
                           "  reason = EXCLUDED.reason, created_at = now() "
                           "RETURNING to_char(until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                           {room.name, *user, *minutes, me.user_id, reason});
        until = r.get(0, 0);
        audit(me.user_id, "chat.mute", "user", std::to_string(*user), {{"room", room.name}, {"minutes", *minutes}, {"reason", reason ? Json(*reason) : Json(nullptr)}});
        enqueue_channel_close(member_channel(room.name, *user));
    });
    return Response::json(200, {{"mute", {{"room", room.name}, {"user_id", *user}, {"until", until}}}});
}

Response unmute(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    Room room = room_param(params);
    const long long user = path_id(params, "user", "person");
    if (!moderates(me, room)) throw HttpError(403, "forbidden", "Only a moderator of this room can unmute people in it.");
    bool removed = false;
    db().transaction([&] {
        removed = db().exec("DELETE FROM chat_mutes WHERE room = $1 AND user_id = $2", {room.name, user}).affected() > 0;
        if (removed) audit(me.user_id, "chat.unmute", "user", std::to_string(user), {{"room", room.name}});
    });
    if (!removed) throw HttpError(404, "not_found", "This person is not muted here.");
    return Response::json(200, {{"muted", false}});
}

// nginx's check of a subscriber (auth_request before nchan): the session behind the cookie may
// read the room in X-Original-URI. 200 with X-User-Id (nginx names the user's channels with it),
// 401 without a session, 403 otherwise — auth_request takes no other refusal.
Response authorize(const Settings& s, const Request& request, const PathParams&) {
    auto original = request.header("x-original-uri");
    if (!original || original->empty()) throw HttpError(400, "bad_request", "This route is nginx's check of a subscriber.");
    std::string_view uri = *original;
    uri = uri.substr(0, uri.find('?'));
    Response refused{403, {}, {}, {}};
    if (uri.substr(0, subscribe_prefix.size()) != subscribe_prefix) return refused;
    auto room = parse_room(uri.substr(subscribe_prefix.size()));
    if (!room) return refused;
    // A page of another site opening a WebSocket with the member's cookie (not bound by CORS).
    if (!origin_is_ours(request, s.web.public_base_url, s.web.session.cookie_secure)) return refused;
    try {
        auto me = identify(s.web.session, request);
        if (!me) return Response{401, {}, {}, {}};
        // A reconnect right after losing access may be checked before the guard's Redis record
        // has the change: PostgreSQL's word on ban, tier and role decides here.
        auto now = db().exec("SELECT tier, role FROM users WHERE id = $1 AND banned_at IS NULL AND deleted_at IS NULL", {me->user_id});
        if (now.rows() == 0) return Response{401, {}, {}, {}};
        me->tier = now.get(0, "tier");
        me->role = now.get(0, "role");
        require_access(*me, *room, Use::read);
        return Response{200, {{"X-User-Id", std::to_string(me->user_id)}}, {}, {}};
    } catch (const HttpError&) {
        return refused;
    } catch (const std::exception& e) {
        // A store that can't answer refuses (never a 500 through nginx); the page retries.
        log_event(LogLevel::warn, "chat_authorize_unavailable", {{"error", e.what()}});
        return refused;
    }
}

const Router<Settings> routes({
    // Its limit is the subscriptions': each attempt costs a Redis and a PostgreSQL query.
    {"GET", std::string(authorize_path), authorize, body(0).limit("pnptv_api:50").authorizes(std::string(subscribe_prefix))},
    {"POST", std::string(rooms_path) + ":room/messages", post_message, body(8 * 1024).limit("pnptv_api:50")},
    {"GET", std::string(rooms_path) + ":room/messages", history, body(0).limit("pnptv_api:50")},
    {"DELETE", std::string(rooms_path) + ":room/messages/:id", delete_message, body(0).limit("pnptv_api:50")},
    {"POST", std::string(rooms_path) + ":room/mutes", mute, body(4 * 1024).limit("pnptv_api:50")},
    {"DELETE", std::string(rooms_path) + ":room/mutes/:user", unmute, body(0).limit("pnptv_api:50")},
});

}  // namespace

std::optional<Room> parse_room(std::string_view name) {
    if (name == community_room) return Room{Room::Kind::community, std::string(name)};
    auto number = [](std::string_view digits) -> std::optional<long long> {
        // Canonical only: one spelling per room (no leading zeros), so one channel per room.
        if (digits.empty() || digits.size() > 18 || digits[0] == '0') return std::nullopt;
        return parse_id(digits);
    };
    if (name.substr(0, 5) == "live-") {
        auto id = number(name.substr(5));
        if (!id) return std::nullopt;
        Room r{Room::Kind::live, std::string(name)};
        r.stream_id = *id;
        return r;
    }
    if (name.substr(0, 3) == "dm-") {
        auto rest = name.substr(3);
        auto dash = rest.find('-');
        if (dash == std::string_view::npos) return std::nullopt;
        auto a = number(rest.substr(0, dash)), b = number(rest.substr(dash + 1));
        if (!a || !b || *a >= *b) return std::nullopt;
        Room r{Room::Kind::direct, std::string(name)};
        r.low = *a;
        r.high = *b;
        return r;
    }
    return std::nullopt;
}

std::string direct_room(long long a, long long b) {
    return "dm-" + std::to_string(std::min(a, b)) + "-" + std::to_string(std::max(a, b));
}

Settings Settings::read(SettingsReader& r) {
    return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), RealtimeSettings::read(r),
            static_cast<int>(r.integer("CHAT_MESSAGES_PER_MINUTE", 20, 1, 10000))};
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("chat", routes);
    return f;
}

}  // namespace chat
