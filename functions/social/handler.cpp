#include "handler.hpp"

#include "audit.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "multipart.hpp"
#include "people.hpp"
#include "rate_limit.hpp"
#include "text.hpp"

namespace social {

using namespace pnptv;

namespace {

constexpr size_t post_body_cap = 5 * 1024 * 1024 + 32 * 1024;  // a picture and the form around it
constexpr TextRule post_text{1, 2000, true}, comment_text{1, 1000, true};
constexpr int page_size = 20, max_page_size = 50;

// Who may see what: posts of people who are gone or banned are nobody's; PRIME posts are for
// PRIME members (and admins) and their author; a private profile's posts only for its owner. $1 viewer, $2 whether
// the viewer sees PRIME posts.
constexpr std::string_view visible_sql =
    "p.deleted_at IS NULL AND u.deleted_at IS NULL AND u.banned_at IS NULL AND (p.visibility <> 'prime' OR $2 OR p.user_id = $1) "
    "AND (u.visibility <> 'private' OR u.id = $1)";

// A page of posts with their authors, counts and the viewer's like, in one query.
const std::string posts_sql = "SELECT p.id, p.body, p.image, p.visibility, " + keyset_micros_sql("p.created_at") +
                              " AS at_micros, to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at, " +
                              std::string(person_columns) + R"sql(,
       (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id) AS likes,
       (SELECT count(*) FROM post_comments c WHERE c.post_id = p.id AND c.deleted_at IS NULL) AS comments,
       EXISTS (SELECT 1 FROM post_likes l WHERE l.post_id = p.id AND l.user_id = $1) AS liked
  FROM social_posts p JOIN users u ON u.id = p.user_id
 WHERE )sql" + std::string(visible_sql);

bool sees_prime(const Identity& me) { return me.tier == "prime" || me.role == "admin"; }

Json post_json(const PgResult& r, int i) {
    auto image = r.get_opt(i, "image");
    Json images = image ? image_urls(ImageKind::post, *image) : Json(nullptr);
    return {{"id", r.get_int(i, "id")},
            {"author", person_json(r, i)},
            {"body", r.get(i, "body")},
            {"image", image ? Json{{"large", images["1280"]}, {"small", images["480"]}} : Json(nullptr)},
            {"visibility", r.get(i, "visibility")},
            {"created_at", r.get(i, "created_at")},
            {"likes", r.get_int(i, "likes")},
            {"comments", r.get_int(i, "comments")},
            {"liked_by_me", r.get_bool(i, "liked")}};
}

// The post as the viewer may see it (404 otherwise; a PRIME post for a free member: 403 with
// an upsell code).
Json visible_post(const Identity& me, long long post_id) {
    auto r = db().exec(posts_sql + " AND p.id = $3", {me.user_id, sees_prime(me), post_id});
    if (r.rows() == 0) {
        auto prime = db().exec("SELECT 1 FROM social_posts p JOIN users u ON u.id = p.user_id WHERE p.id = $1 AND p.visibility = 'prime' "
                               "AND p.deleted_at IS NULL AND u.deleted_at IS NULL AND u.banned_at IS NULL AND u.visibility <> 'private'",
                               {post_id});
        if (prime.rows()) throw HttpError(403, "prime_required", "This post is for PRIME members.");
        throw HttpError(404, "not_found", "No such post.");
    }
    return post_json(r, 0);
}

Response feed(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto cursor = cursor_param(request);
    auto [at, key] = cursor_params(cursor);
    auto r = db().exec(posts_sql + " AND " + keyset_after_sql("p.created_at", "p.id", 3) + " ORDER BY p.created_at DESC, p.id DESC LIMIT $5",
                       {me.user_id, sees_prime(me), at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "id", post_json));
}

// A post's text, visibility and picture: JSON, or a form whose file part is the picture.
struct NewPost {
    std::string body, visibility = "public";
    std::optional<std::string> image_bytes;
};

NewPost read_new_post(const Request& request) {
    NewPost p;
    if (request.media_type() == "multipart/form-data") {
        bool has_body = false;
        auto parts = parse_multipart(request, {4, 1024, post_body_cap});
        if (MultipartPart* picture = only_file(parts, "image")) p.image_bytes = std::move(picture->data);
        for (const auto& part : parts) {
            if (part.filename) continue;  // the picture, above
            if (part.name == "body") {
                p.body = checked_text(part.data, "body", post_text);
                has_body = true;
            } else if (part.name == "visibility") {
                p.visibility = *choice_field(Json{{"visibility", part.data}}, "visibility", {"public", "members", "prime"});
            } else {
                throw HttpError(422, "unknown_field", "This field is not one that can be set here.", part.name.substr(0, 64));
            }
        }
        if (!has_body) throw HttpError(422, "invalid_length", "body must be 1 to 2000 characters.", "body");
        return p;
    }
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"body", "visibility"});
    auto text = text_field(body, "body", post_text);
    if (!text) throw HttpError(422, "invalid_length", "body must be 1 to 2000 characters.", "body");
    p.body = *text;
    p.visibility = choice_field(body, "visibility", {"public", "members", "prime"}).value_or("public");
    return p;
}

Response create_post(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    NewPost post = read_new_post(request);  // bad input costs no quota
    enforce_rate_limit("post", std::to_string(me.user_id), s.posts_per_hour, 3600);
    std::unique_ptr<StagedImage> staged;
    if (post.image_bytes) staged = stage_image(s.images, ImageKind::post, *post.image_bytes);
    std::optional<std::string> image;
    if (staged) image = staged->hash();
    long long id = 0;
    try {
        db().transaction([&] {
            if (staged) staged->place();
            // A ban that landed since the session was checked still stops the post.
            auto r = db().exec("INSERT INTO social_posts (user_id, body, image, visibility) SELECT id, $2, $3, $4 FROM users "
                               "WHERE id = $1 AND banned_at IS NULL AND deleted_at IS NULL RETURNING id",
                               {me.user_id, post.body, image, post.visibility});
            if (r.rows() == 0) throw HttpError(403, "banned", "This account can't post.");
            id = r.get_int(0, "id");
        });
    } catch (...) {
        if (image) release_image(s.images, *image);
        throw;
    }
    return Response::json(201, {{"post", visible_post(me, id)}});
}

Response get_post(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    return Response::json(200, {{"post", visible_post(me, path_id(params, "id", "post"))}});
}

// Own posts, or any for an admin: a soft delete (the row stays for the audit), the picture goes.
Response delete_post(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long id = path_id(params, "id", "post");
    visible_post(me, id);  // one the caller can't see is a 404 here too, never a 403 that says it exists
    std::optional<std::string> image;
    db().transaction([&] {
        auto r = db().exec("SELECT user_id, image FROM social_posts WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", {id});
        if (r.rows() == 0) throw HttpError(404, "not_found", "No such post.");
        const long long author = r.get_int(0, "user_id");
        if (author != me.user_id && me.role != "admin") throw HttpError(403, "forbidden", "Only its author or an admin can delete a post.");
        image = r.get_opt(0, "image");
        db().exec("UPDATE social_posts SET deleted_at = now(), image = NULL WHERE id = $1", {id});
        audit(me.user_id, "post.delete", "post", std::to_string(id), {{"author", author}, {"by_admin", author != me.user_id}});
    });
    if (image) release_image(s.images, *image);
    return Response::json(200, {{"deleted", true}});
}

// Liking is a row per (person, post): the same call twice is one like, and the count is the
// rows', so concurrent likes can't lose or double one.
Response set_like(const Settings& s, const Request& request, const PathParams& params, bool like) {
    Identity me = require_session(s.web, request);
    const long long id = path_id(params, "id", "post");
    visible_post(me, id);
    if (like)
        db().exec("INSERT INTO post_likes (user_id, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", {me.user_id, id});
    else
        db().exec("DELETE FROM post_likes WHERE user_id = $1 AND post_id = $2", {me.user_id, id});
    auto n = db().exec("SELECT count(*) AS likes FROM post_likes WHERE post_id = $1", {id});
    return Response::json(200, {{"liked", like}, {"likes", n.get_int(0, "likes")}});
}
Response like(const Settings& s, const Request& r, const PathParams& p) { return set_like(s, r, p, true); }
Response unlike(const Settings& s, const Request& r, const PathParams& p) { return set_like(s, r, p, false); }

const std::string comments_sql = "SELECT c.id, c.body, " + keyset_micros_sql("c.created_at") +
                                 " AS at_micros, to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at, " +
                                 std::string(person_columns) +
                                 " FROM post_comments c JOIN users u ON u.id = c.user_id"
                                 " WHERE c.deleted_at IS NULL AND u.deleted_at IS NULL AND u.banned_at IS NULL"
                                 // A private profile's comments, like its posts, are its owner's (and admins') only.
                                 " AND (u.visibility <> 'private' OR u.id = $1 OR $2)";

Json comment_json(const PgResult& r, int i) {
    return {{"id", r.get_int(i, "id")}, {"author", person_json(r, i)}, {"body", r.get(i, "body")}, {"created_at", r.get(i, "created_at")}};
}

Response create_comment(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long post = path_id(params, "id", "post");
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"body"});
    auto text = text_field(body, "body", comment_text);
    if (!text) throw HttpError(422, "invalid_length", "body must be 1 to 1000 characters.", "body");
    visible_post(me, post);
    enforce_rate_limit("comment", std::to_string(me.user_id), s.comments_per_hour, 3600);
    auto r = db().exec("INSERT INTO post_comments (post_id, user_id, body) SELECT $2, id, $3 FROM users "
                       "WHERE id = $1 AND banned_at IS NULL AND deleted_at IS NULL RETURNING id",
                       {me.user_id, post, *text});
    if (r.rows() == 0) throw HttpError(403, "banned", "This account can't comment.");
    auto c = db().exec(comments_sql + " AND c.id = $3", {me.user_id, me.role == "admin", r.get_int(0, "id")});
    return Response::json(201, {{"comment", comment_json(c, 0)}});
}

Response list_comments(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long post = path_id(params, "id", "post");
    const int limit = page_limit(request, page_size, max_page_size);
    auto cursor = cursor_param(request);
    visible_post(me, post);
    auto [at, key] = cursor_params(cursor);
    auto r = db().exec(comments_sql + " AND c.post_id = $3 AND " + keyset_after_sql("c.created_at", "c.id", 4) +
                           " ORDER BY c.created_at DESC, c.id DESC LIMIT $6",
                       {me.user_id, me.role == "admin", post, at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "id", comment_json));
}

Response delete_comment(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    const long long id = path_id(params, "id", "comment");
    // One the caller can't see is a 404, never a 403 that says it exists.
    auto seen = db().exec(comments_sql + " AND c.id = $3", {me.user_id, me.role == "admin", id});
    if (seen.rows() == 0) throw HttpError(404, "not_found", "No such comment.");
    auto on = db().exec("SELECT post_id FROM post_comments WHERE id = $1", {id});
    try {
        visible_post(me, on.get_int(0, "post_id"));
    } catch (const HttpError&) {
        throw HttpError(404, "not_found", "No such comment.");
    }
    db().transaction([&] {
        auto r = db().exec("SELECT user_id FROM post_comments WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", {id});
        if (r.rows() == 0) throw HttpError(404, "not_found", "No such comment.");
        const long long author = r.get_int(0, "user_id");
        if (author != me.user_id && me.role != "admin")
            throw HttpError(403, "forbidden", "Only its author or an admin can delete a comment.");
        db().exec("UPDATE post_comments SET deleted_at = now() WHERE id = $1", {id});
        audit(me.user_id, "comment.delete", "comment", std::to_string(id), {{"author", author}, {"by_admin", author != me.user_id}});
    });
    return Response::json(200, {{"deleted", true}});
}

const RoutePolicy api = body(0).limit("pnptv_api:50");
const std::string post_path = std::string(posts_path) + "/:id";
const Router<Settings> routes({
    {"GET", std::string(feed_path), feed, api},
    {"POST", std::string(posts_path), create_post, api.body(post_body_cap)},
    {"GET", post_path, get_post, api},
    {"DELETE", post_path, delete_post, api},
    {"PUT", post_path + "/like", like, api},
    {"DELETE", post_path + "/like", unlike, api},
    {"GET", post_path + "/comments", list_comments, api},
    {"POST", post_path + "/comments", create_comment, api.body(8 * 1024)},
    {"DELETE", std::string(comments_path) + ":id", delete_comment, api},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    return {DatabaseSettings::read(r),
            RedisSettings::read(r),
            WebSettings::read(r),
            ImageSettings::read(r),
            static_cast<int>(r.integer("SOCIAL_POSTS_PER_HOUR", 30, 1, 100000)),
            static_cast<int>(r.integer("SOCIAL_COMMENTS_PER_HOUR", 120, 1, 100000))};
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("social", routes);
    return f;
}

}  // namespace social
