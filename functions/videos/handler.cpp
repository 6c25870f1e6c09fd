#include "handler.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "audit.hpp"
#include "catalogue.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "multipart.hpp"
#include "text.hpp"

namespace videos {

using namespace pnptv;

namespace {

constexpr size_t poster_body_cap = 5 * 1024 * 1024 + 16 * 1024;
constexpr int page_size = 24, max_page_size = 60;

const std::string video_columns = "v.id, v.title, v.description_en, v.description_es, v.duration_seconds, v.poster, v.category, "
                                  "v.prime_only, v.file_path, " + keyset_micros_sql("v.published_at") + " AS at_micros, "
                                  "to_char(v.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS published_at";

bool prime(const Identity& me) { return me.tier == "prime" || me.role == "admin"; }

Json video_json(const PgResult& r, int i, const Identity& me) {
    auto poster = r.get_opt(i, "poster");
    Json urls = poster ? image_urls(ImageKind::poster, *poster) : Json(nullptr);
    const bool prime_only = r.get_bool(i, "prime_only");
    Json v = {{"id", r.get_int(i, "id")},
              {"title", r.get(i, "title")},
              {"description", {{"en", r.get(i, "description_en")}, {"es", r.get(i, "description_es")}}},
              {"duration_seconds", r.get_int(i, "duration_seconds")},
              {"poster", poster ? Json{{"large", urls["1280"]}, {"small", urls["400"]}} : Json(nullptr)},
              {"category", r.get(i, "category")},
              {"prime_only", prime_only},
              {"locked", prime_only && !prime(me)},  // the page shows the upsell instead of a player
              {"published_at", r.get_opt(i, "published_at") ? Json(*r.get_opt(i, "published_at")) : Json(nullptr)}};
    if (me.role == "admin") v["file_path"] = r.get(i, "file_path");
    return v;
}


// One video as the caller may see it: published, or any for an admin.
PgResult load_video(const Identity& me, long long id) {
    auto r = db().exec("SELECT " + video_columns + " FROM videos v WHERE v.id = $1 AND (" + std::string(video_published_sql) + " OR $2)",
                       {id, me.role == "admin"});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such video.");
    return r;
}

Response list(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto cursor = cursor_param(request);
    auto category = find_value(request.query, "category");
    if (category && (category->empty() || category->size() > 32 || !only_chars(*category, "-", true) || *category != to_lower(*category)))
        throw HttpError(400, "invalid_category", "category is lower-case letters, digits and -.", "category");
    auto [at, key] = cursor_params(cursor);
    auto r = db().exec("SELECT " + video_columns + " FROM videos v WHERE " + std::string(video_published_sql) +
                           " AND ($1::text IS NULL OR v.category = $1) AND " + keyset_after_sql("v.published_at", "v.id", 2) +
                           " ORDER BY v.published_at DESC, v.id DESC LIMIT $4",
                       {category, at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "id", [&](const PgResult& rows, int i) { return video_json(rows, i, me); }));
}

Response get_one(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto r = load_video(me, path_id(params, "id", "video"));
    return Response::json(200, {{"video", video_json(r, 0, me)}});
}

// The bytes never pass through here: nginx serves the file from the internal location, with
// byte ranges (seeking) and sendfile; this only says whether and which.
Response play(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_session(s.web, request);
    auto r = load_video(me, path_id(params, "id", "video"));
    if (r.get_bool(0, "prime_only") && !prime(me))
        throw HttpError(403, "prime_required", "This video is for PRIME members. Get PRIME to watch it.");
    Response resp = Response::text(200, "");
    resp.headers = {{"X-Accel-Redirect", std::string(media_location) + r.get(0, "file_path")}};
    return resp;
}

// A path under the media root that names a regular file there (no climbing out, no links out).
std::string checked_file_path(const Settings& s, const std::string& path) {
    const HttpError bad(422, "invalid_file_path", "file_path must name a video file under the media folder.", "file_path");
    if (path.empty() || path.size() > 255 || !only_chars(path, "._/-", true) || path.front() == '/' || path.front() == '.' ||
        path.find("..") != std::string::npos || path.find("//") != std::string::npos)
        throw bad;
    std::error_code ec;
    const auto root = std::filesystem::weakly_canonical(s.media_dir, ec);
    const auto file = std::filesystem::weakly_canonical(std::filesystem::path(s.media_dir) / path, ec);
    if (ec || file.string().rfind(root.string() + "/", 0) != 0 || !std::filesystem::is_regular_file(file, ec)) throw bad;
    return path;
}

// The catalogue fields of a JSON body; `creating` requires title, category and file_path.
struct VideoFields {
    std::optional<std::string> title, description_en, description_es, category, file_path;
    std::optional<long long> duration;
    std::optional<bool> prime_only, published;
};

VideoFields read_fields(const Settings& s, const Request& request, bool creating) {
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"title", "description_en", "description_es", "duration_seconds", "category", "prime_only", "file_path",
                                 "published"});
    VideoFields f;
    f.title = text_field(body, "title", {1, 200});
    f.description_en = text_field(body, "description_en", {0, 5000, true});
    f.description_es = text_field(body, "description_es", {0, 5000, true});
    f.duration = count_field(body, "duration_seconds", 0, 86400);
    f.category = text_field(body, "category", {1, 32});
    if (f.category && (!only_chars(*f.category, "-", true) || *f.category != to_lower(*f.category) || f.category->front() == '-'))
        throw HttpError(422, "invalid_field", "category is lower-case letters, digits and -.", "category");
    f.prime_only = flag_field(body, "prime_only");
    f.published = flag_field(body, "published");
    if (auto path = text_field(body, "file_path", {1, 255})) f.file_path = checked_file_path(s, *path);
    if (creating)
        for (auto [value, name] : {std::pair{f.title.has_value(), "title"}, {f.category.has_value(), "category"},
                                   {f.file_path.has_value(), "file_path"}})
            if (!value) throw HttpError(422, "missing_field", std::string(name) + " is required.", name);
    return f;
}

Json audit_details(const VideoFields& f) {
    Json d = Json::object();
    if (f.title) d["title"] = *f.title;
    if (f.category) d["category"] = *f.category;
    if (f.file_path) d["file_path"] = *f.file_path;
    if (f.prime_only) d["prime_only"] = *f.prime_only;
    if (f.published) d["published"] = *f.published;
    if (f.duration) d["duration_seconds"] = *f.duration;
    if (f.description_en || f.description_es) d["descriptions"] = "changed";
    return d;
}

Response create(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_admin(s.web, request);
    VideoFields f = read_fields(s, request, true);
    long long id = 0;
    db().transaction([&] {
        id = db().exec("INSERT INTO videos (title, description_en, description_es, duration_seconds, category, prime_only, file_path, "
                       "published_at, created_by) VALUES ($1, COALESCE($2, ''), COALESCE($3, ''), COALESCE($4, 0), $5, COALESCE($6, true), "
                       "$7, CASE WHEN $8 THEN now() END, $9) RETURNING id",
                       {f.title, f.description_en, f.description_es, f.duration, f.category, f.prime_only, f.file_path,
                        f.published.value_or(false), me.user_id})
                 .get_int(0, "id");
        audit(me.user_id, "video.create", "video", std::to_string(id), audit_details(f));
    });
    return Response::json(201, {{"video", video_json(load_video(me, id), 0, me)}});
}

Response update(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = path_id(params, "id", "video");
    VideoFields f = read_fields(s, request, false);
    db().transaction([&] {
        auto r = db().exec("UPDATE videos SET title = COALESCE($2, title), description_en = COALESCE($3, description_en), "
                           "description_es = COALESCE($4, description_es), duration_seconds = COALESCE($5, duration_seconds), "
                           "category = COALESCE($6, category), prime_only = COALESCE($7, prime_only), file_path = COALESCE($8, file_path), "
                           "published_at = CASE WHEN $9::boolean IS NULL THEN published_at WHEN $9 THEN COALESCE(published_at, now()) END "
                           "WHERE id = $1 RETURNING id",
                           {id, f.title, f.description_en, f.description_es, f.duration, f.category, f.prime_only, f.file_path, f.published});
        if (r.rows() == 0) throw HttpError(404, "not_found", "No such video.");
        audit(me.user_id, f.published && !*f.published ? "video.unpublish" : "video.update", "video", std::to_string(id), audit_details(f));
    });
    return Response::json(200, {{"video", video_json(load_video(me, id), 0, me)}});
}

Response remove(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = path_id(params, "id", "video");
    std::optional<std::string> poster;
    db().transaction([&] {
        auto r = db().exec("DELETE FROM videos WHERE id = $1 RETURNING title, file_path, poster", {id});
        if (r.rows() == 0) throw HttpError(404, "not_found", "No such video.");
        poster = r.get_opt(0, "poster");
        // The file stays: the operator placed it and may still use it.
        audit(me.user_id, "video.delete", "video", std::to_string(id), {{"title", r.get(0, "title")}, {"file_path", r.get(0, "file_path")}});
    });
    if (poster) release_image(s.images, *poster);
    return Response::json(200, {{"deleted", true}});
}

Response set_poster(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = path_id(params, "id", "video");
    load_video(me, id);
    auto parts = parse_multipart(request, {4, 1024, poster_body_cap});
    const MultipartPart* file = only_file(parts, "file");
    if (!file) throw HttpError(400, "missing_file", "Send the poster as a file part.", "file");
    auto staged = stage_image(s.images, ImageKind::poster, file->data);
    const std::string hash = staged->hash();
    std::optional<std::string> old;
    try {
        db().transaction([&] {
            auto r = db().exec("SELECT poster FROM videos WHERE id = $1 FOR UPDATE", {id});
            if (r.rows() == 0) throw HttpError(404, "not_found", "No such video.");
            old = r.get_opt(0, "poster");
            staged->place();
            db().exec("UPDATE videos SET poster = $2 WHERE id = $1", {id, hash});
            audit(me.user_id, "video.poster", "video", std::to_string(id), {{"poster", hash}});
        });
    } catch (...) {
        release_image(s.images, hash);
        throw;
    }
    if (old && *old != hash) release_image(s.images, *old);
    return Response::json(200, {{"video", video_json(load_video(me, id), 0, me)}});
}

const RoutePolicy api = body(0).limit("pnptv_api:50");
const std::string video_path = std::string(videos_path) + "/:id";
const Router<Settings> routes({
    {"GET", std::string(videos_path), list, api},
    {"POST", std::string(videos_path), create, api.body(16 * 1024)},
    {"GET", video_path, get_one, api},
    {"PATCH", video_path, update, api.body(16 * 1024)},
    {"DELETE", video_path, remove, api},
    {"GET", video_path + "/play", play, api},
    {"POST", video_path + "/poster", set_poster, api.body(poster_body_cap)},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    Settings s{DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), ImageSettings::read(r), r.text("MEDIA_DIR")};
    if (!r.describing_only() && s.media_dir.front() != '/') throw ConfigError("MEDIA_DIR must be an absolute path");
    return s;
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = [] {
        Function f = make_function("videos", routes);
        f.file_locations = {{std::string(media_location), "MEDIA_DIR", true, 0}};
        return f;
    }();
    return f;
}

}  // namespace videos
