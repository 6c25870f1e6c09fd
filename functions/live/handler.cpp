#include "handler.hpp"

#include <ctime>

#include "audit.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "people.hpp"
#include "text.hpp"

namespace live {

using namespace pnptv;

namespace {

constexpr TextRule title_text{1, 200, false};
constexpr int page_size = 20, max_page_size = 50;

const std::string stream_sql =
    "SELECT s.id, s.channel, s.title, s.status, s.prime_only, s.viewer_peak, s.host_id, " + keyset_micros_sql("s.started_at") + " AS at_micros, "
    "to_char(s.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS started_at, "
    "to_char(s.ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS ended_at, "
    // The host's running total of tips, per currency (approved ones: a reversal takes it back).
    "(SELECT COALESCE(json_object_agg(d.currency, d.total), '{}')::text FROM (SELECT currency, sum(amount)::text AS total "
    "   FROM payment_records WHERE live_stream_id = s.id AND " + std::string(counted_donation_sql) + " GROUP BY currency) d) AS donations, " +
    std::string(person_columns) + " FROM live_streams s JOIN users u ON u.id = s.host_id ";

// `viewers`: live_viewers()'s count for this row (0 once it has ended).
Json stream_json(const PgResult& r, int i, long long viewers) {
    const long long id = r.get_int(i, "id");
    auto title = r.get_opt(i, "title");
    auto ended = r.get_opt(i, "ended_at");
    return {{"id", id},
            {"title", title ? Json(*title) : Json(nullptr)},
            {"host", person_json(r, i)},
            {"status", r.get(i, "status")},
            {"prime_only", r.get_bool(i, "prime_only")},
            {"started_at", r.get(i, "started_at")},
            {"ended_at", ended ? Json(*ended) : Json(nullptr)},
            {"viewers", viewers},
            {"viewer_peak", r.get_int(i, "viewer_peak")},
            {"donations", Json::parse(r.get(i, "donations"))},
            {"chat_room", live_room(id)},
            {"heartbeat_seconds", live_heartbeat_seconds}};
}

Json one_stream_json(const Settings& s, const PgResult& stream) {
    const bool live = stream.get(0, "status") == "live";
    return stream_json(stream, 0, live ? live_viewers(s.live, {stream.get_int(0, "id")}).front() : 0);
}

PgResult find_stream(long long id) {
    auto r = db().exec(stream_sql + "WHERE s.id = $1", {id});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such stream.");
    return r;
}

bool sees_prime(const Identity& me) { return me.tier == "prime" || me.role == "admin"; }

// Watching (a token, a heartbeat): a live stream, PRIME-only ones for PRIME members and the host.
void require_watchable(const Identity& me, const PgResult& stream) {
    if (stream.get(0, "status") != "live") throw HttpError(409, "stream_ended", "This stream has ended.");
    if (stream.get_bool(0, "prime_only") && !sees_prime(me) && stream.get_int(0, "host_id") != me.user_id)
        throw HttpError(403, "prime_required", "This stream is for PRIME members.");
}

// PRIME members (and admins) go live; starting while live is the same stream again (200).
Response start(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    Json body = request.body.empty() ? Json::object() : parse_json_object(request);
    reject_unknown_fields(body, {"title", "prime_only"});
    auto title = text_field(body, "title", title_text);
    const bool prime_only = flag_field(body, "prime_only").value_or(false);
    if (!sees_prime(me)) throw HttpError(403, "prime_required", "Going live needs a PRIME subscription.");
    auto host = db().exec("SELECT COALESCE(display_name, first_name, '') FROM users WHERE id = $1 AND banned_at IS NULL AND deleted_at IS NULL",
                          {me.user_id});
    if (host.rows() == 0) throw HttpError(403, "forbidden", "This account can't go live.");
    StartedLive started = start_live(s.live, me.user_id, host.get(0, 0), title, prime_only);
    auto stream = find_stream(started.stream_id);
    return Response::json(started.created ? 201 : 200,
                                   {{"stream", one_stream_json(s, stream)},
                                    {"token", rtc_token_json(s.live.agora, started.channel, me.user_id, AgoraRole::publisher)}});
}

Response list(const Settings& s, const Request& request, const PathParams&) {
    require_session(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto [at, key] = cursor_params(cursor_param(request));
    auto r = db().exec(stream_sql + "WHERE s.status = 'live' AND u.banned_at IS NULL AND u.deleted_at IS NULL AND " +
                       keyset_after_sql("s.started_at", "s.id", 1) + " ORDER BY s.started_at DESC, s.id DESC LIMIT $3",
                       {at, key, limit + 1});
    std::vector<long long> ids;
    for (int i = 0; i < r.rows() && i < limit; ++i) ids.push_back(r.get_int(i, "id"));  // all live
    const auto viewers = live_viewers(s.live, ids);
    return Response::json(200, keyset_page(r, limit, "id", [&](const PgResult& rows, int i) {
        return stream_json(rows, i, viewers[static_cast<size_t>(i)]);
    }));
}

Response show(const Settings& s, const Request& request, const PathParams& params) {
    require_session(s.web, request);
    auto stream = find_stream(path_id(params, "id", "stream"));
    return Response::json(200, {{"stream", one_stream_json(s, stream)}});
}

// The host's publisher token, anyone else's subscriber token: how pages get one after login, and
// how they refresh it before it expires. An ended stream gives none.
Response token(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto stream = find_stream(path_id(params, "id", "stream"));
    require_watchable(me, stream);
    const bool host = stream.get_int(0, "host_id") == me.user_id;
    return Response::json(200, {{"token", rtc_token_json(s.live.agora, stream.get(0, "channel"), me.user_id,
                                                                  host ? AgoraRole::publisher : AgoraRole::subscriber)}});
}

Response heartbeat(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long id = path_id(params, "id", "stream");
    auto stream = find_stream(id);
    require_watchable(me, stream);
    return Response::json(200, {{"viewers", live_heartbeat(s.live, id, me.user_id)}, {"heartbeat_seconds", live_heartbeat_seconds}});
}

// The host or an admin (audited) ends it; ending an ended stream changes nothing.
Response end(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long id = path_id(params, "id", "stream");
    auto stream = find_stream(id);
    const long long host = stream.get_int(0, "host_id");
    if (host != me.user_id && me.role != "admin") throw HttpError(403, "forbidden", "Only the host or an admin can end a stream.");
    if (end_live(id) && host != me.user_id) audit(me.user_id, "live.end", "live_stream", std::to_string(id), {{"host", host}});
    return Response::json(200, {{"stream", one_stream_json(s, find_stream(id))}});
}

const std::string stream_path = std::string(streams_path) + "/:id";

const Router<Settings> routes({
    {"POST", std::string(streams_path), start, body(2048).limit("pnptv_api:50")},
    {"GET", std::string(streams_path), list, body(0).limit("pnptv_api:50")},
    {"GET", stream_path, show, body(0).limit("pnptv_api:50")},
    {"GET", stream_path + "/token", token, body(0).limit("pnptv_api:50")},
    {"POST", stream_path + "/heartbeat", heartbeat, body(0).limit("pnptv_api:50")},
    {"POST", stream_path + "/end", end, body(0).limit("pnptv_api:50")},
});

}  // namespace

Settings Settings::read(SettingsReader& r) { return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), LiveSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("live", routes);
    return f;
}

}  // namespace live
