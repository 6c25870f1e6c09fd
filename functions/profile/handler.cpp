#include "handler.hpp"

#include "audit.hpp"
#include "authz.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "messages.hpp"
#include "multipart.hpp"
#include "outbox.hpp"
#include "people.hpp"
#include "rate_limit.hpp"
#include "session.hpp"
#include "text.hpp"

namespace profile {

using namespace pnptv;

namespace {

constexpr size_t avatar_body_cap = 5 * 1024 * 1024 + 16 * 1024;  // the image and the form around it
constexpr int page_size = 20, max_page_size = 100;

const std::string own_sql = "SELECT " + std::string(person_columns) + R"sql(,
       u.bio, u.language, u.visibility, u.tier, u.role, u.age_verified_at IS NOT NULL AS age_verified,
       to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
       to_char(s.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS subscription_ends_at,
       s.id IS NOT NULL AS subscribed,
       (SELECT count(*) FROM follows f WHERE f.followed_id = u.id) AS followers,
       (SELECT count(*) FROM follows f WHERE f.follower_id = u.id) AS following
  FROM users u LEFT JOIN subscriptions s ON s.user_id = u.id AND s.status = 'active'
 WHERE u.id = $1 AND u.deleted_at IS NULL AND u.banned_at IS NULL
)sql";

Json own_profile_json(long long user_id) {
    auto r = db().exec(own_sql, {user_id});
    if (r.rows() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
    Json p = person_json(r, 0);
    p["bio"] = r.get_opt(0, "bio") ? Json(*r.get_opt(0, "bio")) : Json("");
    p["language"] = r.get(0, "language");
    p["visibility"] = r.get(0, "visibility");
    p["tier"] = r.get(0, "tier");
    p["role"] = r.get(0, "role");
    p["age_verified"] = r.get_bool(0, "age_verified");
    p["created_at"] = r.get(0, "created_at");
    // PRIME without an end date is a lifetime grant.
    p["subscription_ends_at"] = r.get_opt(0, "subscription_ends_at") ? Json(*r.get_opt(0, "subscription_ends_at")) : Json(nullptr);
    p["followers"] = r.get_int(0, "followers");
    p["following"] = r.get_int(0, "following");
    return p;
}

Response get_own(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    return Response::json(200, {{"profile", own_profile_json(me.user_id)}});
}

// PUT /api/webapp/profile/age-verification — the web's 18+ confirmation, the same record the
// bot's button writes. Idempotent: the first confirmation's time is kept.
Response verify_age(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    if (!confirm_age(me.user_id)) throw HttpError(401, "unauthenticated", "Log in to continue.");
    return Response::json(200, {{"profile", own_profile_json(me.user_id)}});
}

Response patch_own(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    enforce_rate_limit("profile_edit", std::to_string(me.user_id), 60, 3600);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"display_name", "bio", "language", "visibility"});
    auto name = text_field(body, "display_name", {1, 64});
    auto bio = text_field(body, "bio", {0, 500, true});
    auto language = choice_field(body, "language", {"en", "es"});
    auto visibility = choice_field(body, "visibility", {"public", "members", "private"});
    // Absent fields keep their value; an empty bio clears it.
    auto r = db().exec("UPDATE users SET display_name = COALESCE($2, display_name), bio = CASE WHEN $3 THEN NULLIF($4, '') ELSE bio END, "
                       "language = COALESCE($5, language), visibility = COALESCE($6, visibility) WHERE id = $1 AND deleted_at IS NULL",
                       {me.user_id, name, bio.has_value(), bio.value_or(""), language, visibility});
    if (r.affected() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
    return Response::json(200, {{"profile", own_profile_json(me.user_id)}});
}

Response put_avatar(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    enforce_rate_limit("avatar", std::to_string(me.user_id), 20, 3600);
    auto parts = parse_multipart(request, {4, 1024, avatar_body_cap});
    const MultipartPart* file = only_file(parts, "file");
    if (!file) throw HttpError(400, "missing_file", "Send the image as a file part named file.", "file");
    auto staged = stage_image(s.images, ImageKind::avatar, file->data);
    const std::string hash = staged->hash();
    std::optional<std::string> old;
    try {
        db().transaction([&] {
            // An account deleted since the session was checked takes no avatar.
            auto r = db().exec("SELECT avatar FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", {me.user_id});
            if (r.rows() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
            old = r.get_opt(0, "avatar");
            staged->place();
            db().exec("UPDATE users SET avatar = $2 WHERE id = $1", {me.user_id, hash});
        });
    } catch (...) {
        release_image(s.images, hash);  // placed for a row that never committed
        throw;
    }
    if (old && *old != hash) release_image(s.images, *old);
    return Response::json(200, {{"profile", own_profile_json(me.user_id)}});
}

Response delete_avatar(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    auto r = db().exec("UPDATE users u SET avatar = NULL FROM (SELECT avatar FROM users WHERE id = $1 FOR UPDATE) old "
                       "WHERE u.id = $1 RETURNING old.avatar", {me.user_id});
    if (r.rows() && r.get_opt(0, "avatar")) release_image(s.images, *r.get_opt(0, "avatar"));
    return Response::json(200, {{"profile", own_profile_json(me.user_id)}});
}

// Deleting an account: everything the person made goes, the row stays (payments point at it)
// without anything that names them, and their Telegram id is released, so /start or a login
// later makes a new account rather than bringing this one back.
Response delete_own(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    std::vector<std::string> images;
    db().transaction([&] {
        auto u = db().exec("SELECT telegram_id, language, avatar FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", {me.user_id});
        if (u.rows() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
        if (auto a = u.get_opt(0, "avatar")) images.push_back(*a);
        auto posts = db().exec("DELETE FROM social_posts WHERE user_id = $1 RETURNING image", {me.user_id});
        for (int i = 0; i < posts.rows(); ++i)
            if (auto img = posts.get_opt(i, "image")) images.push_back(*img);
        db().exec("DELETE FROM post_likes WHERE user_id = $1", {me.user_id});
        db().exec("DELETE FROM post_comments WHERE user_id = $1", {me.user_id});
        db().exec("DELETE FROM follows WHERE follower_id = $1 OR followed_id = $1", {me.user_id});
        db().exec("DELETE FROM chat_messages WHERE user_id = $1", {me.user_id});
        db().exec("UPDATE subscriptions SET status = 'cancelled' WHERE user_id = $1 AND status = 'active'", {me.user_id});
        // Told on Telegram while we still know where (the outbox row carries the chat id).
        const long long telegram_id = u.get_int(0, "telegram_id");
        enqueue_telegram(me.user_id, send_message(telegram_id, say(u.get(0, "language"), "account_deleted")),
                         "account-deleted:" + std::to_string(me.user_id));
        // banned_at ends every session at the guard, whichever stack minted it (authz trigger); the
        // database also closes their realtime connections and ends their live stream, viewers told.
        db().exec("UPDATE users SET telegram_id = NULL, username = NULL, first_name = '', last_name = NULL, photo_url = NULL, "
                  "email = NULL, bio = NULL, display_name = NULL, avatar = NULL, visibility = 'private', role = 'user', "
                  "tier = 'free', deleted_at = now(), banned_at = now(), ban_reason = 'account deleted' WHERE id = $1",
                  {me.user_id});
        audit(me.user_id, "user.delete_account", "user", std::to_string(me.user_id),
              {{"posts_removed", posts.rows()}});
    });
    project_users_now({me.user_id});
    end_user_sessions(me.user_id);
    for (const auto& hash : images) release_image(s.images, hash);
    Response r = Response::json(200, {{"deleted", true},
                                      {"message", "Your account has been deleted: your profile, posts, likes and comments are gone."}});
    for (auto& c : session_clear_cookies(s.web.session)) r.set_cookies.push_back(std::move(c));
    return r;
}


struct Person {
    long long id;
    std::string visibility;
};

// The person behind :id as the viewer may see them; 404 for anyone they may not (a private
// profile is indistinguishable from none), 401 for a members-only one without a session.
Person visible_person(const std::optional<Identity>& viewer, const PathParams& params) {
    const long long id = path_id(params, "id", "person");
    auto r = db().exec("SELECT visibility FROM users WHERE id = $1 AND deleted_at IS NULL AND banned_at IS NULL", {id});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such person.");
    const std::string visibility = r.get(0, "visibility");
    if (!may_view(viewer, id, visibility)) {
        if (visibility == "members") throw HttpError(401, "unauthenticated", "Log in to see this profile.");
        throw HttpError(404, "not_found", "No such person.");
    }
    return {id, visibility};
}

std::optional<Identity> viewer_of(const Settings& s, const Request& request) { return identify(s.web.session, request); }

Response get_person(const Settings& s, const Request& request, const PathParams& params) {
    auto viewer = viewer_of(s, request);
    Person p = visible_person(viewer, params);
    auto r = db().exec("SELECT " + std::string(person_columns) + R"sql(, u.bio,
              to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
              (SELECT count(*) FROM follows f WHERE f.followed_id = u.id) AS followers,
              (SELECT count(*) FROM follows f WHERE f.follower_id = u.id) AS following,
              EXISTS (SELECT 1 FROM follows f WHERE f.followed_id = u.id AND f.follower_id = $2) AS followed_by_me
         FROM users u WHERE u.id = $1)sql",
                       {p.id, viewer ? viewer->user_id : 0});
    Json j = person_json(r, 0);
    j["bio"] = r.get_opt(0, "bio").value_or("");
    j["created_at"] = r.get(0, "created_at");
    j["followers"] = r.get_int(0, "followers");
    j["following"] = r.get_int(0, "following");
    j["followed_by_me"] = r.get_bool(0, "followed_by_me");
    return Response::json(200, {{"profile", j}});
}

Response follow(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    enforce_rate_limit("follow", std::to_string(me.user_id), 300, 3600);
    Person p = visible_person(me, params);
    if (p.id == me.user_id) throw HttpError(422, "cannot_follow_self", "You can't follow yourself.");
    // Twice is once: the pair is the key.
    db().exec("INSERT INTO follows (follower_id, followed_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", {me.user_id, p.id});
    return Response::json(200, {{"following", true}});
}

Response unfollow(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long id = path_id(params, "id", "person");
    db().exec("DELETE FROM follows WHERE follower_id = $1 AND followed_id = $2", {me.user_id, id});
    return Response::json(200, {{"following", false}});
}

// Followers or following, newest first, one page per request.
Response people_page(const Settings& s, const Request& request, const PathParams& params, bool followers) {
    auto viewer = viewer_of(s, request);
    if (!viewer) throw HttpError(401, "unauthenticated", "Log in to continue.");
    Person p = visible_person(viewer, params);
    const int limit = page_limit(request, page_size, max_page_size);
    auto cursor = cursor_param(request);
    const std::string other = followers ? "f.follower_id" : "f.followed_id", self = followers ? "f.followed_id" : "f.follower_id";
    auto [at, key] = cursor_params(cursor);
    auto r = db().exec("SELECT " + std::string(person_columns) + ", " + keyset_micros_sql("f.created_at") + " AS at_micros, " + other +
                           " AS key_id FROM follows f JOIN users u ON u.id = " + other + " WHERE " + self +
                           " = $1 AND u.deleted_at IS NULL AND u.banned_at IS NULL AND (u.visibility <> 'private' OR u.id = $5 OR $6)"
                           " AND " + keyset_after_sql("f.created_at", other, 2) + " ORDER BY f.created_at DESC, " + other + " DESC LIMIT $4",
                       {p.id, at, key, limit + 1, viewer->user_id, viewer->role == "admin"});
    return Response::json(200, keyset_page(r, limit, "key_id", person_json));
}

Response followers(const Settings& s, const Request& request, const PathParams& params) { return people_page(s, request, params, true); }
Response following(const Settings& s, const Request& request, const PathParams& params) { return people_page(s, request, params, false); }

const RoutePolicy api = body(0).limit("pnptv_api:50");
// Literal paths before :id ones: the first route that matches wins.
const Router<Settings> routes({
    {"GET", std::string(profile_path), get_own, api},
    {"PATCH", std::string(profile_path), patch_own, api.body(16 * 1024)},  // a bio of emoji as \u escapes is ~6 KiB
    {"DELETE", std::string(profile_path), delete_own, api},
    {"POST", std::string(avatar_path), put_avatar, api.body(avatar_body_cap)},
    {"DELETE", std::string(avatar_path), delete_avatar, api},
    {"PUT", std::string(age_path), verify_age, api},
    {"GET", std::string(people_path) + ":id", get_person, api},
    {"PUT", std::string(people_path) + ":id/follow", follow, api},
    {"DELETE", std::string(people_path) + ":id/follow", unfollow, api},
    {"GET", std::string(people_path) + ":id/followers", followers, api},
    {"GET", std::string(people_path) + ":id/following", following, api},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), ImageSettings::read(r)};
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = [] {
        Function f = make_function("profile", routes);
        // Avatars and post images, under content-hash names that never change: cached a week.
        f.file_locations = {{"/uploads/", "UPLOADS_DIR", false, 7 * 24 * 3600}};
        return f;
    }();
    return f;
}

}  // namespace profile
