// functions/videos in process: the catalogue by keyset and category, who may play what (the
// answer is an X-Accel-Redirect; nginx's serving of it is tested through nginx in serial_stack),
// and the admin's changes, each audited.
#define BOOST_TEST_MODULE videos
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "../functions/videos/handler.hpp"
#include "catalogue.hpp"
#include "pg.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

const std::string media = [] {
    std::string dir = testing::temp_dir() + "/media";
    std::filesystem::create_directories(dir + "/clips");
    std::ofstream(dir + "/clips/intro.mp4") << std::string(4096, 'v');
    std::ofstream(dir + "/free.webm") << "webm";
    std::filesystem::create_symlink("/etc/passwd", dir + "/clips/escape.mp4");
    return dir;
}();

Pairs values() {
    Pairs v = {{"SESSION_SECRETS", "videos-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}, {"MEDIA_DIR", media}};
    for (const auto& p : testing::image_values()) v.push_back(p);
    return v;
}
const auto settings = testing::settings<videos::Settings>(values());

testing::TestUser user(const std::string& tier = "free", const std::string& role = "user") {
    return testing::make_user(settings.web.session, "Viewer", role, tier);
}

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who = nullptr, const std::string& body = {},
              const std::string& type = "application/json") {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", type);
    return videos::handle(settings, make_request(method, uri, body, headers));
}

const std::string base = std::string(videos::videos_path);
std::string uri(long long id, const std::string& rest = "") { return base + "/" + std::to_string(id) + rest; }

long long add_video(const testing::TestUser& admin, Json fields) {
    if (!fields.contains("file_path")) fields["file_path"] = "clips/intro.mp4";
    if (!fields.contains("category")) fields["category"] = "featured";
    auto r = call("POST", base, &admin, fields.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return testing::body_json(r)["video"]["id"];
}

std::string error_code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }

}  // namespace

BOOST_AUTO_TEST_CASE(playing_a_prime_video_needs_prime_and_is_nginxs_to_serve) {
    auto admin = user("free", "admin"), free_ana = user(), prime_bea = user("prime");
    long long prime_video = add_video(admin, {{"title", "PRIME only"}, {"prime_only", true}, {"published", true}});
    long long free_video = add_video(admin, {{"title", "For all"}, {"prime_only", false}, {"published", true}, {"file_path", "free.webm"}});
    auto refused = call("GET", uri(prime_video, "/play"), &free_ana);
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(error_code(refused) == "prime_required");
    BOOST_TEST(!refused.header("X-Accel-Redirect").has_value());  // no bytes, not even a redirect to them
    auto ok = call("GET", uri(prime_video, "/play"), &prime_bea);
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.header("X-Accel-Redirect").value_or("") == "/__media/clips/intro.mp4");
    BOOST_TEST(ok.body.empty());
    BOOST_TEST(call("GET", uri(free_video, "/play"), &free_ana).header("X-Accel-Redirect").value_or("") == "/__media/free.webm");
    BOOST_TEST(call("GET", uri(prime_video, "/play")).status == 401);
    BOOST_TEST(call("GET", uri(99999999999, "/play"), &prime_bea).status == 404);
    // The listing says which are locked for the caller.
    Json one = testing::body_json(call("GET", uri(prime_video), &free_ana))["video"];
    BOOST_TEST(one["locked"] == true);
    BOOST_TEST(!one.contains("file_path"));  // where files live is the admins' business
    BOOST_TEST(testing::body_json(call("GET", uri(prime_video), &prime_bea))["video"]["locked"] == false);
}

BOOST_AUTO_TEST_CASE(unpublished_and_scheduled_videos_are_for_admins_only) {
    auto admin = user("free", "admin"), viewer = user("prime");
    long long draft = add_video(admin, {{"title", "Draft"}});
    BOOST_TEST(call("GET", uri(draft), &viewer).status == 404);
    BOOST_TEST(call("GET", uri(draft, "/play"), &viewer).status == 404);
    BOOST_TEST(call("GET", uri(draft), &admin).status == 200);
    BOOST_TEST(call("PATCH", uri(draft), &admin, Json{{"published", true}}.dump()).status == 200);
    BOOST_TEST(call("GET", uri(draft), &viewer).status == 200);
    db().exec("UPDATE videos SET published_at = now() + interval '1 day' WHERE id = $1", {draft});  // scheduled
    BOOST_TEST(call("GET", uri(draft), &viewer).status == 404);
    BOOST_TEST(call("PATCH", uri(draft), &admin, Json{{"published", false}}.dump()).status == 200);
    BOOST_TEST(db().exec("SELECT published_at IS NULL AS hidden FROM videos WHERE id = $1", {draft}).get_bool(0, "hidden"));
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM audit_log WHERE action = 'video.unpublish' AND subject_id = $1",
                         {std::to_string(draft)}).get_int(0, "n") == 1);
}

BOOST_AUTO_TEST_CASE(the_catalogue_in_keyset_pages_by_category) {
    auto admin = user("free", "admin"), viewer = user();
    std::vector<long long> ids;
    for (int i = 0; i < 9; ++i) ids.push_back(add_video(admin, {{"title", "Clip " + std::to_string(i)}, {"category", "series-x"}, {"published", true}}));
    add_video(admin, {{"title", "Elsewhere"}, {"category", "other"}, {"published", true}});
    std::vector<long long> seen;
    std::string next = base + "?category=series-x&limit=4";
    for (int pages = 0; !next.empty() && pages < 10; ++pages) {
        auto r = call("GET", next, &viewer);
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        Json page = testing::body_json(r);
        for (auto& v : page["items"]) seen.push_back(v["id"]);
        next = page["next_cursor"].is_null() ? "" : base + "?category=series-x&limit=4&cursor=" + page["next_cursor"].get<std::string>();
    }
    BOOST_TEST(seen == std::vector<long long>(ids.rbegin(), ids.rend()), boost::test_tools::per_element());
    for (const char* bad : {"?category=Series", "?category=a%20b", "?category=", "?limit=0", "?cursor=zz"})
        BOOST_TEST(call("GET", base + bad, &viewer).status == 400, bad);
    BOOST_TEST(call("GET", base).status == 401);
}

BOOST_AUTO_TEST_CASE(only_admins_change_the_catalogue_and_bad_fields_are_named) {
    auto admin = user("free", "admin"), member = user("prime");
    BOOST_TEST(call("POST", base, &member, Json{{"title", "x"}, {"category", "a"}, {"file_path", "free.webm"}}.dump()).status == 403);
    BOOST_TEST(call("POST", base, nullptr, Json{{"title", "x"}}.dump()).status == 401);
    struct Case {
        Json body;
        std::string code, field;
    };
    const std::vector<Case> cases = {
        {{{"category", "a"}, {"file_path", "free.webm"}}, "missing_field", "title"},
        {{{"title", "x"}, {"category", "a"}}, "missing_field", "file_path"},
        {{{"title", "x"}, {"category", "Bad Cat"}, {"file_path", "free.webm"}}, "invalid_field", "category"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "../../etc/passwd"}}, "invalid_file_path", "file_path"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "/etc/passwd"}}, "invalid_file_path", "file_path"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "clips/missing.mp4"}}, "invalid_file_path", "file_path"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "clips/escape.mp4"}}, "invalid_file_path", "file_path"},  // a link out
        {{{"title", "x"}, {"category", "a"}, {"file_path", "clips"}}, "invalid_file_path", "file_path"},             // a folder
        {{{"title", std::string(201, 't')}, {"category", "a"}, {"file_path", "free.webm"}}, "invalid_length", "title"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "free.webm"}, {"duration_seconds", -1}}, "invalid_field", "duration_seconds"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "free.webm"}, {"prime_only", "yes"}}, "invalid_field", "prime_only"},
        {{{"title", "x"}, {"category", "a"}, {"file_path", "free.webm"}, {"views", 1}}, "unknown_field", "views"},
    };
    const long long before = db().exec("SELECT count(*) AS n FROM videos").get_int(0, "n");
    for (const auto& c : cases) {
        auto r = call("POST", base, &admin, c.body.dump());
        BOOST_TEST(r.status == 422, c.body.dump() << " " << r.body);
        BOOST_TEST(error_code(r) == c.code, c.body.dump());
        BOOST_TEST(testing::body_json(r)["error"].value("field", "") == c.field, c.body.dump());
    }
    BOOST_TEST(db().exec("SELECT count(*) AS n FROM videos").get_int(0, "n") == before);
    long long id = add_video(admin, {{"title", "Kept"}, {"description_es", "Hola"}, {"duration_seconds", 90}});
    auto edited = call("PATCH", uri(id), &admin, Json{{"title", "Renamed"}}.dump());
    BOOST_TEST(testing::body_json(edited)["video"]["title"] == "Renamed");
    BOOST_TEST(testing::body_json(edited)["video"]["description"]["es"] == "Hola");  // untouched
    BOOST_TEST(call("PATCH", uri(id), &member, Json{{"title", "Mine"}}.dump()).status == 403);
    BOOST_TEST(call("PATCH", uri(99999999999), &admin, Json{{"title", "x"}}.dump()).status == 404);
    BOOST_TEST(call("DELETE", uri(id), &member).status == 403);
    BOOST_TEST(call("DELETE", uri(id), &admin).status == 200);
    BOOST_TEST(call("DELETE", uri(id), &admin).status == 404);
    auto trail = db().exec("SELECT string_agg(action, ',' ORDER BY id) AS actions FROM audit_log WHERE subject_type = 'video' AND subject_id = $1",
                           {std::to_string(id)});
    BOOST_TEST(trail.get(0, "actions") == "video.create,video.update,video.delete");
    BOOST_TEST(std::filesystem::exists(media + "/clips/intro.mp4"));  // the operator's file stays
}

BOOST_AUTO_TEST_CASE(a_poster_goes_through_the_image_pipeline) {
    auto admin = user("free", "admin");
    long long id = add_video(admin, {{"title", "With poster"}, {"published", true}});
    const std::string boundary = "posterBoundary";
    auto form = [&](const std::string& bytes) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\n\r\n" + bytes + "\r\n--" + boundary +
               "--\r\n";
    };
    const std::string type = "multipart/form-data; boundary=" + boundary;
    auto r = call("POST", uri(id, "/poster"), &admin, form(testing::fixture("photo.png")), type);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    const std::string large = testing::body_json(r)["video"]["poster"]["large"];
    BOOST_TEST(large.find("-1280.webp") != std::string::npos);
    BOOST_TEST(std::filesystem::exists(settings.images.uploads_dir + large.substr(8)));
    BOOST_TEST(call("POST", uri(id, "/poster"), &admin, form("<svg onload=alert(1)>"), type).status == 415);
    BOOST_TEST(call("DELETE", uri(id), &admin).status == 200);
    BOOST_TEST(!std::filesystem::exists(settings.images.uploads_dir + large.substr(8)));
}

BOOST_AUTO_TEST_CASE(the_bot_lists_the_newest_titles) {
    auto admin = user("free", "admin");
    add_video(admin, {{"title", "Newest one"}, {"published", true}});
    add_video(admin, {{"title", "Not yet"}});
    auto titles = newest_video_titles(5);
    BOOST_TEST_REQUIRE(!titles.empty());
    BOOST_TEST(titles.front() == "Newest one");
    BOOST_TEST(std::count(titles.begin(), titles.end(), "Not yet") == 0);
}
