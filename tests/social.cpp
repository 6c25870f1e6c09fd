// functions/social in process (real PostgreSQL, Redis and image-convert): posts and their bad
// inputs, pictures, visibility, deletion rights, the keyset feed, likes under concurrency,
// comments, rate limits.
#define BOOST_TEST_MODULE social
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "../functions/social/handler.hpp"
#include "bans.hpp"
#include "cursor.hpp"
#include "pg.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

Pairs values(Pairs extra = {}) {
    Pairs v = {{"SESSION_SECRETS", "social-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}};
    for (const auto& p : testing::image_values()) v.push_back(p);
    for (const auto& p : extra) v.push_back(p);
    return v;
}
const auto settings = testing::settings<social::Settings>(values());
const std::string uploads = settings.images.uploads_dir;

testing::TestUser user(const std::string& name = "Ana", const std::string& tier = "free", const std::string& role = "user") {
    return testing::make_user(settings.web.session, name, role, tier);
}

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who = nullptr, const std::string& body = {},
              const std::string& type = "application/json", const social::Settings& s = settings) {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", type);
    return social::handle(s, make_request(method, uri, body, headers));
}

std::string posts = std::string(social::posts_path);
std::string post_uri(long long id) { return posts + "/" + std::to_string(id); }

long long post(const testing::TestUser& who, const std::string& text, const std::string& visibility = "public") {
    auto r = call("POST", posts, &who, Json{{"body", text}, {"visibility", visibility}}.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
    return testing::body_json(r)["post"]["id"];
}

std::string error_code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }
std::string error_field(const Response& r) { return testing::body_json(r)["error"].value("field", ""); }

const std::string boundary = "socialBoundary";
std::string form(const std::string& text, const std::optional<std::string>& picture, const std::string& extra = {}) {
    std::string b = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n" + text + "\r\n" + extra;
    if (picture)
        b += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
             *picture + "\r\n";
    return b + "--" + boundary + "--\r\n";
}

long long count(const std::string& sql, const std::vector<PgParam>& params) { return db().exec(sql, params).get_int(0, 0); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_post_is_created_and_read_back) {
    auto ana = user("Ana");
    auto r = call("POST", posts, &ana, Json{{"body", "  hola, mundo 👋  "}}.dump());
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    Json p = testing::body_json(r)["post"];
    BOOST_TEST(p["body"] == "hola, mundo 👋");
    BOOST_TEST(p["author"]["id"] == ana.id);
    BOOST_TEST(p["author"]["display_name"] == "Ana");
    BOOST_TEST(p["likes"] == 0);
    BOOST_TEST(p["comments"] == 0);
    BOOST_TEST(p["liked_by_me"] == false);
    BOOST_TEST(p["image"].is_null());
    BOOST_TEST(p["visibility"] == "public");
    auto again = call("GET", post_uri(p["id"]), &ana);
    BOOST_TEST(again.status == 200);
    BOOST_TEST(testing::body_json(again)["post"] == p);
}

BOOST_AUTO_TEST_CASE(bad_posts_name_the_field_and_store_nothing) {
    auto ana = user();
    const long long before = count("SELECT count(*) FROM social_posts WHERE user_id = $1", {ana.id});
    std::string text2000, text2001;
    for (int i = 0; i < 2000; ++i) text2000 += "é";
    text2001 = text2000 + "é";
    struct Case {
        std::string body;
        int status;
        std::string code, field;
    };
    const std::vector<Case> cases = {
        {Json{{"body", ""}}.dump(), 422, "invalid_length", "body"},
        {Json{{"body", "   \n "}}.dump(), 422, "invalid_length", "body"},
        {Json::object().dump(), 422, "invalid_length", "body"},
        {Json{{"body", text2001}}.dump(), 422, "invalid_length", "body"},
        {Json{{"body", "bell\u0007"}}.dump(), 422, "invalid_field", "body"},
        {Json{{"body", 7}}.dump(), 422, "invalid_field", "body"},
        {Json{{"body", "x"}, {"visibility", "secret"}}.dump(), 422, "invalid_field", "visibility"},
        {Json{{"body", "x"}, {"user_id", 1}}.dump(), 422, "unknown_field", "user_id"},
        {"{\"body\":\"\xc3\x28\"}", 400, "invalid_json", ""},
        {"[]", 400, "invalid_json", ""},
    };
    for (const auto& c : cases) {
        auto r = call("POST", posts, &ana, c.body);
        BOOST_TEST(r.status == c.status, c.body);
        BOOST_TEST(error_code(r) == c.code, c.body << " " << r.body);
        BOOST_TEST(error_field(r) == c.field, c.body);
    }
    BOOST_TEST(call("POST", posts, &ana, "body=x", "text/plain").status == 415);
    BOOST_TEST(call("POST", posts, nullptr, Json{{"body", "x"}}.dump()).status == 401);
    auto cross = social::handle(settings, make_request("POST", posts, Json{{"body", "x"}}.dump(),
                                                       {{"cookie", ana.cookie}, {"content-type", "application/json"},
                                                        {"sec-fetch-site", "cross-site"}}));
    BOOST_TEST(cross.status == 403);
    BOOST_TEST(count("SELECT count(*) FROM social_posts WHERE user_id = $1", {ana.id}) == before);
    BOOST_TEST(call("POST", posts, &ana, Json{{"body", text2000}}.dump()).status == 201);  // 2,000 code points fit
}

BOOST_AUTO_TEST_CASE(a_post_with_a_picture_and_hostile_pictures) {
    auto ana = user();
    auto r = call("POST", posts, &ana, form("with a photo", testing::fixture("photo-exif6.jpg")), "multipart/form-data; boundary=" + boundary);
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    Json image = testing::body_json(r)["post"]["image"];
    const std::string large = image["large"], small = image["small"];
    BOOST_TEST(std::filesystem::exists(uploads + large.substr(8)));
    BOOST_TEST(std::filesystem::exists(uploads + small.substr(8)));
    const auto files_before = testing::files_under(uploads);
    const long long posts_before = count("SELECT count(*) FROM social_posts WHERE user_id = $1", {ana.id});
    const std::string type = "multipart/form-data; boundary=" + boundary;
    BOOST_TEST(call("POST", posts, &ana, form("x", std::string("<html><script>1</script></html>")), type).status == 415);
    BOOST_TEST(call("POST", posts, &ana, form("x", std::string("")), type).status == 422);
    BOOST_TEST(call("POST", posts, &ana, form("", testing::fixture("photo.png")), type).status == 422);  // text still required
    BOOST_TEST(call("POST", posts, &ana, form("x", testing::fixture("photo.png"),
                                              "--" + boundary + "\r\nContent-Disposition: form-data; name=\"owner\"\r\n\r\n1\r\n"), type)
                   .status == 422);
    BOOST_TEST(call("POST", posts, &ana, form("x", testing::fixture("photo.png")).substr(0, 300), type).status == 400);
    BOOST_TEST(testing::files_under(uploads) == files_before);
    BOOST_TEST(count("SELECT count(*) FROM social_posts WHERE user_id = $1", {ana.id}) == posts_before);
}

BOOST_AUTO_TEST_CASE(who_sees_which_post) {
    auto ana = user("Ana"), free_bea = user("Bea"), prime_cy = user("Cy", "prime");
    long long prime_post = post(ana, "for PRIME", "prime");
    auto refused = call("GET", post_uri(prime_post), &free_bea);
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(error_code(refused) == "prime_required");
    BOOST_TEST(call("GET", post_uri(prime_post), &prime_cy).status == 200);
    BOOST_TEST(call("GET", post_uri(prime_post)).status == 401);
    BOOST_TEST(call("GET", post_uri(99999999999), &free_bea).status == 404);
    BOOST_TEST(call("GET", posts + "/x1", &free_bea).status == 404);
    // A private profile's posts are its owner's only.
    long long quiet = post(free_bea, "just me");
    db().exec("UPDATE users SET visibility = 'private' WHERE id = $1", {free_bea.id});
    BOOST_TEST(call("GET", post_uri(quiet), &ana).status == 404);
    BOOST_TEST(call("GET", post_uri(quiet), &free_bea).status == 200);
}

BOOST_AUTO_TEST_CASE(browser_forms_post_text_with_line_breaks_and_no_picture) {
    auto ana = user();
    // A textarea sends CRLF; the picture input, left empty, an empty file part.
    const std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nline one\r\nline two\r\n--" + boundary +
                             "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--" +
                             boundary + "--\r\n";
    auto r = call("POST", posts, &ana, body, "multipart/form-data; boundary=" + boundary);
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    BOOST_TEST(testing::body_json(r)["post"]["body"] == "line one\nline two");
    BOOST_TEST(testing::body_json(r)["post"]["image"].is_null());
}

BOOST_AUTO_TEST_CASE(private_people_are_seen_by_nobody_else_not_even_as_commenters) {
    auto ana = user("Ana"), quiet = user("Quiet"), admin = user("Root", "free", "admin");
    long long p = post(ana, "public post");
    long long hidden = post(quiet, "my own");
    BOOST_TEST(call("POST", post_uri(p) + "/comments", &quiet, Json{{"body", "from the shadows"}}.dump()).status == 201);
    const long long comment = db().exec("SELECT id FROM post_comments WHERE user_id = $1", {quiet.id}).get_int(0, "id");
    db().exec("UPDATE users SET visibility = 'private' WHERE id = $1", {quiet.id});
    auto listed = [&](const testing::TestUser& who) { return testing::body_json(call("GET", post_uri(p) + "/comments", &who))["items"].size(); };
    BOOST_TEST(listed(ana) == 0u);
    BOOST_TEST(listed(quiet) == 1u);
    BOOST_TEST(listed(admin) == 1u);
    // Deleting what one can't see says it doesn't exist, never that it is someone else's.
    BOOST_TEST(call("DELETE", post_uri(hidden), &ana).status == 404);
    BOOST_TEST(call("DELETE", std::string(social::comments_path) + std::to_string(comment), &ana).status == 404);
}

BOOST_AUTO_TEST_CASE(posts_at_the_same_instant_are_each_paged_once) {
    auto ana = user();
    std::vector<long long> same;
    for (int i = 0; i < 5; ++i) same.push_back(post(ana, "tie " + std::to_string(i)));
    // One instant, older than anything else: the walk starts just after it.
    const long long instant = 946684800000000;  // 2000-01-01, in microseconds
    db().exec("UPDATE social_posts SET created_at = timestamptz 'epoch' + $2::bigint * interval '1 microsecond' WHERE user_id = $1",
              {ana.id, instant});
    std::vector<long long> seen;
    std::string next = std::string(social::feed_path) + "?limit=1&cursor=" + encode_cursor({instant + 1, 0});
    for (int i = 0; i < 10 && !next.empty(); ++i) {
        Json page = testing::body_json(call("GET", next, &ana));
        for (auto& item : page["items"]) seen.push_back(item["id"]);
        next = page["next_cursor"].is_null() ? "" : std::string(social::feed_path) + "?limit=1&cursor=" + page["next_cursor"].get<std::string>();
    }
    BOOST_TEST(seen == std::vector<long long>(same.rbegin(), same.rend()), boost::test_tools::per_element());  // by id within the instant
}

BOOST_AUTO_TEST_CASE(only_the_author_or_an_admin_deletes_and_it_is_audited) {
    auto ana = user("Ana"), bea = user("Bea"), admin = user("Root", "free", "admin");
    auto with_picture = call("POST", posts, &ana, form("mine", testing::fixture("photo.webp")), "multipart/form-data; boundary=" + boundary);
    BOOST_TEST_REQUIRE(with_picture.status == 201);
    const long long mine = testing::body_json(with_picture)["post"]["id"];
    const std::string large = testing::body_json(with_picture)["post"]["image"]["large"];
    auto forbidden = call("DELETE", post_uri(mine), &bea);
    BOOST_TEST(forbidden.status == 403);
    BOOST_TEST(count("SELECT count(*) FROM social_posts WHERE id = $1 AND deleted_at IS NULL", {mine}) == 1);
    BOOST_TEST(call("DELETE", post_uri(mine), &ana).status == 200);
    BOOST_TEST(count("SELECT count(*) FROM social_posts WHERE id = $1 AND deleted_at IS NOT NULL", {mine}) == 1);  // soft
    BOOST_TEST(!std::filesystem::exists(uploads + large.substr(8)));
    BOOST_TEST(call("GET", post_uri(mine), &ana).status == 404);
    BOOST_TEST(call("DELETE", post_uri(mine), &ana).status == 404);
    long long hers = post(bea, "hers");
    BOOST_TEST(call("DELETE", post_uri(hers), &admin).status == 200);
    auto audit = db().exec("SELECT actor_user_id, details->>'by_admin' AS by_admin FROM audit_log WHERE action = 'post.delete' "
                           "AND subject_id = $1", {std::to_string(hers)});
    BOOST_TEST_REQUIRE(audit.rows() == 1);
    BOOST_TEST(audit.get_int(0, "actor_user_id") == admin.id);
    BOOST_TEST(audit.get(0, "by_admin") == "true");
    BOOST_TEST(count("SELECT count(*) FROM audit_log WHERE action = 'post.delete' AND subject_id = $1", {std::to_string(mine)}) == 1);
}

BOOST_AUTO_TEST_CASE(the_feed_is_newest_first_in_keyset_pages_with_counts_and_my_likes) {
    auto ana = user("Ana"), bea = user("Bea", "prime");
    std::vector<long long> mine;
    for (int i = 0; i < 45; ++i) mine.push_back(post(i % 2 ? ana : bea, "post " + std::to_string(i)));
    long long prime_only = post(bea, "PRIME only", "prime");
    BOOST_TEST(call("PUT", post_uri(mine[44]) + "/like", &ana).status == 200);
    BOOST_TEST(call("PUT", post_uri(mine[44]) + "/like", &bea).status == 200);
    BOOST_TEST(call("POST", post_uri(mine[43]) + "/comments", &bea, Json{{"body", "first!"}}.dump()).status == 201);
    // Walk the whole feed as Ana (free): every post once, strictly newest first.
    std::vector<long long> seen;
    std::set<long long> unique;
    std::string next = std::string(social::feed_path) + "?limit=10";
    Json first_page;
    int pages = 0;
    while (!next.empty() && pages++ < 1000) {
        auto r = call("GET", next, &ana);
        BOOST_TEST_REQUIRE(r.status == 200, r.body);
        Json page = testing::body_json(r);
        if (first_page.is_null()) first_page = page;
        BOOST_TEST(page["items"].size() <= 10u);
        for (auto& item : page["items"]) {
            seen.push_back(item["id"]);
            unique.insert(item["id"].get<long long>());
        }
        next = page["next_cursor"].is_null() ? "" : std::string(social::feed_path) + "?limit=10&cursor=" + page["next_cursor"].get<std::string>();
    }
    BOOST_TEST(unique.size() == seen.size());  // no post twice across pages
    BOOST_TEST(!unique.count(prime_only));  // not for a free member
    std::vector<long long> mine_seen;
    for (long long id : seen)
        if (std::find(mine.begin(), mine.end(), id) != mine.end()) mine_seen.push_back(id);
    BOOST_TEST(mine_seen == std::vector<long long>(mine.rbegin(), mine.rend()), boost::test_tools::per_element());
    BOOST_TEST(count("SELECT count(*) FROM social_posts p JOIN users u ON u.id = p.user_id WHERE p.deleted_at IS NULL AND "
                     "p.visibility <> 'prime' AND u.banned_at IS NULL AND u.deleted_at IS NULL AND (u.visibility <> 'private' OR u.id = $1)",
                     {ana.id}) == static_cast<long long>(seen.size()));
    Json top = first_page["items"][0];  // the PRIME post is hidden from Ana: her newest is on top
    Json newest = first_page["items"][1];
    BOOST_TEST(top["id"] == mine[44]);
    BOOST_TEST(top["likes"] == 2);
    BOOST_TEST(top["liked_by_me"] == true);
    BOOST_TEST(newest["id"] == mine[43]);
    BOOST_TEST(newest["comments"] == 1);
    BOOST_TEST(newest["liked_by_me"] == false);
    // A PRIME member's feed has the PRIME post on top.
    auto prime_feed = testing::body_json(call("GET", std::string(social::feed_path) + "?limit=1", &bea));
    BOOST_TEST(prime_feed["items"][0]["id"] == prime_only);
    BOOST_TEST(call("GET", std::string(social::feed_path) + "?cursor=AAAA", &ana).status == 400);
    BOOST_TEST(call("GET", std::string(social::feed_path) + "?limit=51", &ana).status == 400);
    BOOST_TEST(call("GET", std::string(social::feed_path)).status == 401);
}

BOOST_AUTO_TEST_CASE(likes_are_idempotent) {
    auto ana = user();
    long long p = post(ana, "like me");
    for (int i = 0; i < 2; ++i) {
        auto r = call("PUT", post_uri(p) + "/like", &ana);
        BOOST_TEST(r.status == 200);
        BOOST_TEST(testing::body_json(r)["likes"] == 1);
    }
    for (int i = 0; i < 2; ++i) {
        auto r = call("DELETE", post_uri(p) + "/like", &ana);
        BOOST_TEST(r.status == 200);
        BOOST_TEST(testing::body_json(r)["likes"] == 0);
    }
    BOOST_TEST(call("PUT", post_uri(99999999999) + "/like", &ana).status == 404);
    BOOST_TEST(call("PUT", post_uri(p) + "/like").status == 401);
}

BOOST_AUTO_TEST_CASE(fifty_people_like_at_once_fifty_likes_one_person_twenty_times_one) {
    auto author = user("Author");
    long long p = post(author, "popular");
    std::vector<testing::TestUser> fans;
    for (int i = 0; i < 50; ++i) fans.push_back(user("Fan"));
    auto statuses = testing::in_parallel(50, [&](int i) { return call("PUT", post_uri(p) + "/like", &fans[i]).status == 200 ? 0 : 1; });
    BOOST_TEST(std::count(statuses.begin(), statuses.end(), 0) == 50);
    BOOST_TEST(count("SELECT count(*) FROM post_likes WHERE post_id = $1", {p}) == 50);
    long long q = post(author, "liked by one");
    auto same = testing::in_parallel(20, [&](int) { return call("PUT", post_uri(q) + "/like", &fans[0]).status == 200 ? 0 : 1; });
    BOOST_TEST(std::count(same.begin(), same.end(), 0) == 20);
    BOOST_TEST(count("SELECT count(*) FROM post_likes WHERE post_id = $1", {q}) == 1);
    BOOST_TEST(testing::body_json(call("GET", post_uri(p), &author))["post"]["likes"] == 50);
}

BOOST_AUTO_TEST_CASE(comments_pages_and_deletion_rights) {
    auto ana = user("Ana"), bea = user("Bea"), admin = user("Root", "free", "admin");
    long long p = post(ana, "talk to me");
    std::vector<long long> ids;
    for (int i = 0; i < 7; ++i) {
        auto r = call("POST", post_uri(p) + "/comments", i % 2 ? &ana : &bea, Json{{"body", "c" + std::to_string(i)}}.dump());
        BOOST_TEST_REQUIRE(r.status == 201, r.body);
        ids.push_back(testing::body_json(r)["comment"]["id"]);
    }
    std::vector<long long> seen;
    std::string next = post_uri(p) + "/comments?limit=3";
    for (int pages = 0; !next.empty() && pages < 10; ++pages) {
        Json page = testing::body_json(call("GET", next, &bea));
        for (auto& c : page["items"]) seen.push_back(c["id"]);
        next = page["next_cursor"].is_null() ? "" : post_uri(p) + "/comments?limit=3&cursor=" + page["next_cursor"].get<std::string>();
    }
    BOOST_TEST(seen == std::vector<long long>(ids.rbegin(), ids.rend()), boost::test_tools::per_element());
    std::string c1001(1001, 'x');
    auto too_long = call("POST", post_uri(p) + "/comments", &bea, Json{{"body", c1001}}.dump());
    BOOST_TEST(too_long.status == 422);
    BOOST_TEST(error_field(too_long) == "body");
    BOOST_TEST(call("POST", post_uri(p) + "/comments", &bea, Json{{"body", ""}}.dump()).status == 422);
    BOOST_TEST(call("POST", post_uri(p) + "/comments", &bea, Json{{"body", "x"}, {"post_id", 1}}.dump()).status == 422);
    BOOST_TEST(call("POST", post_uri(99999999999) + "/comments", &bea, Json{{"body", "x"}}.dump()).status == 404);
    const std::string bea_comment = std::string(social::comments_path) + std::to_string(ids[0]);
    BOOST_TEST(call("DELETE", bea_comment, &ana).status == 403);  // not hers
    BOOST_TEST(call("DELETE", bea_comment, &bea).status == 200);
    BOOST_TEST(call("DELETE", bea_comment, &bea).status == 404);
    BOOST_TEST(call("DELETE", std::string(social::comments_path) + std::to_string(ids[1]), &admin).status == 200);
    BOOST_TEST(testing::body_json(call("GET", post_uri(p), &ana))["post"]["comments"] == 5);
}

BOOST_AUTO_TEST_CASE(posting_and_commenting_are_limited_per_person_and_banned_people_cannot) {
    const auto strict = testing::settings<social::Settings>(values({{"SOCIAL_POSTS_PER_HOUR", "3"}, {"SOCIAL_COMMENTS_PER_HOUR", "2"}}));
    auto ana = user();
    for (int i = 0; i < 3; ++i) BOOST_TEST(call("POST", posts, &ana, Json{{"body", "x"}}.dump(), "application/json", strict).status == 201);
    auto limited = call("POST", posts, &ana, Json{{"body", "x"}}.dump(), "application/json", strict);
    BOOST_TEST(limited.status == 429);
    BOOST_TEST(std::stoi(limited.header("Retry-After").value_or("0")) > 0);
    auto bea = user("Bea");  // another person has their own allowance
    BOOST_TEST(call("POST", posts, &bea, Json{{"body", "x"}}.dump(), "application/json", strict).status == 201);
    long long p = post(bea, "comment here");
    for (int i = 0; i < 2; ++i)
        BOOST_TEST(call("POST", post_uri(p) + "/comments", &ana, Json{{"body", "c"}}.dump(), "application/json", strict).status == 201);
    BOOST_TEST(call("POST", post_uri(p) + "/comments", &ana, Json{{"body", "c"}}.dump(), "application/json", strict).status == 429);
    auto cy = user("Cy");
    set_ban(cy.id, true, "spam", std::nullopt, Json::object());
    BOOST_TEST(call("POST", posts, &cy, Json{{"body", "spam"}}.dump()).status == 401);
    BOOST_TEST(count("SELECT count(*) FROM social_posts WHERE user_id = $1", {cy.id}) == 0);
    // A ban the guard hasn't heard of yet (Redis behind): the insert itself refuses.
    auto dee = user("Dee");
    db().exec("UPDATE users SET banned_at = now() WHERE id = $1", {dee.id});
    auto refused = call("POST", posts, &dee, Json{{"body", "spam"}}.dump());
    BOOST_TEST(refused.status == 403);
    BOOST_TEST(error_code(refused) == "banned");
    BOOST_TEST(count("SELECT count(*) FROM social_posts WHERE user_id = $1", {dee.id}) == 0);
}
