// functions/admin in process: only admins; search; ban (the person's sessions stop verifying at
// once) and unban; role changes; the audit trail of each.
#define BOOST_TEST_MODULE admin
#include <boost/test/unit_test.hpp>

#include "../functions/admin/handler.hpp"
#include "pg.hpp"
#include "session.hpp"
#include "testing.hpp"

using namespace pnptv;
using testing::make_request;

namespace {

const auto settings = testing::settings<admin::Settings>({{"SESSION_SECRETS", "admin-secret"}, {"PUBLIC_BASE_URL", "https://pnptv.test"}});

testing::TestUser user(const std::string& name, const std::string& role = "user") { return testing::make_user(settings.web.session, name, role); }

Response call(const std::string& method, const std::string& uri, const testing::TestUser* who, const std::string& body = {}) {
    Pairs headers;
    if (who) headers.emplace_back("cookie", who->cookie);
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    return admin::handle(settings, make_request(method, uri, body, headers));
}

std::string users = std::string(admin::users_path);
std::string uri(long long id, const std::string& what) { return users + "/" + std::to_string(id) + "/" + what; }
std::string code(const Response& r) { return testing::body_json(r)["error"].value("code", ""); }

}  // namespace

BOOST_AUTO_TEST_CASE(only_admins) {
    auto member = user("Member"), target = user("Target");
    for (auto [method, path] : {std::pair{"GET", users}, {"GET", std::string(admin::audit_path)}, {"POST", uri(target.id, "ban")},
                                {"POST", uri(target.id, "unban")}}) {
        BOOST_TEST(call(method, path, &member).status == 403, path);
        BOOST_TEST(call(method, path, nullptr).status == 401, path);
    }
    BOOST_TEST(call("PUT", uri(target.id, "role"), &member, R"({"role":"admin"})").status == 403);
    BOOST_TEST(db().exec("SELECT role FROM users WHERE id = $1", {member.id}).get(0, "role") == "user");
}

BOOST_AUTO_TEST_CASE(search_by_name_or_telegram_id_literally) {
    auto root = user("Root", "admin");
    const std::string unique = "Zq" + std::to_string(testing::unique_number());
    auto a = user(unique + "_one"), b = user(unique + "%two");
    auto found = testing::body_json(call("GET", users + "?q=" + unique, &root));
    BOOST_TEST(found["items"].size() == 2u);
    BOOST_TEST(found["items"][0]["id"] == b.id);  // newest first
    // % and _ are letters here, not wildcards.
    auto literal = testing::body_json(call("GET", users + "?q=" + unique + "%25two", &root));
    BOOST_TEST_REQUIRE(literal["items"].size() == 1u);
    BOOST_TEST(literal["items"][0]["id"] == b.id);
    BOOST_TEST(testing::body_json(call("GET", users + "?q=" + unique + "_", &root))["items"].size() == 1u);
    auto by_tg = testing::body_json(call("GET", users + "?q=" + std::to_string(a.telegram_id), &root));
    BOOST_TEST_REQUIRE(by_tg["items"].size() == 1u);
    BOOST_TEST(by_tg["items"][0]["telegram_id"] == a.telegram_id);
    // Pages: one at a time, each once.
    auto first = testing::body_json(call("GET", users + "?q=" + unique + "&limit=1", &root));
    auto second = testing::body_json(call("GET", users + "?q=" + unique + "&limit=1&cursor=" + first["next_cursor"].get<std::string>(), &root));
    BOOST_TEST(second["items"][0]["id"] == a.id);
    BOOST_TEST(second["next_cursor"].is_null());
    BOOST_TEST(call("GET", users + "?q=" + std::string(65, 'x'), &root).status == 422);
    BOOST_TEST(call("GET", users + "?q=%FF", &root).status == 400);
    BOOST_TEST(call("GET", users + "?limit=0", &root).status == 400);
}

BOOST_AUTO_TEST_CASE(a_ban_ends_every_session_at_once_and_is_audited_unban_restores) {
    auto root = user("Root", "admin"), bad = user("Spammer");
    SessionUser su;
    su.id = bad.id;
    const std::string other_sid = create_session(settings.web.session, su);
    BOOST_TEST(identify(settings.web.session, make_request("GET", "/", {}, {{"cookie", bad.cookie}})).has_value());
    auto r = call("POST", uri(bad.id, "ban"), &root, R"({"reason":"spam links"})");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(testing::body_json(r)["user"]["banned"] == true);
    BOOST_TEST(testing::body_json(r)["user"]["ban_reason"] == "spam links");
    BOOST_TEST(!identify(settings.web.session, make_request("GET", "/", {}, {{"cookie", bad.cookie}})).has_value());
    BOOST_TEST(!identify_cookie(settings.web.session, session_cookie_value(other_sid, "admin-secret")).has_value());
    auto trail = testing::body_json(call("GET", std::string(admin::audit_path) + "?limit=20", &root));
    bool seen = false;
    for (auto& e : trail["items"])
        if (e["action"] == "user.ban" && e["subject_id"] == std::to_string(bad.id)) {
            seen = true;
            BOOST_TEST(e["actor_user_id"] == root.id);
            BOOST_TEST(e["details"]["reason"] == "spam links");
        }
    BOOST_TEST(seen);
    BOOST_TEST(call("POST", uri(bad.id, "unban"), &root).status == 200);
    BOOST_TEST(db().exec("SELECT banned_at IS NULL AS free FROM users WHERE id = $1", {bad.id}).get_bool(0, "free"));
    // Bad inputs.
    BOOST_TEST(call("POST", uri(root.id, "ban"), &root).status == 422);  // oneself
    BOOST_TEST(call("POST", uri(999999999999, "ban"), &root).status == 404);
    BOOST_TEST(call("POST", users + "/abc/ban", &root).status == 404);
    auto long_reason = call("POST", uri(bad.id, "ban"), &root, Json{{"reason", std::string(501, 'r')}}.dump());
    BOOST_TEST(long_reason.status == 422);
    BOOST_TEST(code(call("POST", uri(bad.id, "ban"), &root, R"({"why":"x"})")) == "unknown_field");
}

BOOST_AUTO_TEST_CASE(role_changes_reach_the_guard_and_the_audit) {
    auto root = user("Root", "admin"), helper = user("Helper");
    auto r = call("PUT", uri(helper.id, "role"), &root, R"({"role":"admin"})");
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    BOOST_TEST(testing::body_json(r)["user"]["role"] == "admin");
    auto who = identify(settings.web.session, make_request("GET", "/", {}, {{"cookie", helper.cookie}}));
    BOOST_TEST_REQUIRE(who.has_value());
    BOOST_TEST(who->role == "admin");  // the guard's record, at the next request
    auto audit = db().exec("SELECT details->'before'->>'role' AS before, details->'after'->>'role' AS after FROM audit_log "
                           "WHERE action = 'user.role' AND subject_id = $1", {std::to_string(helper.id)});
    BOOST_TEST_REQUIRE(audit.rows() == 1);
    BOOST_TEST(audit.get(0, "before") == "user");
    BOOST_TEST(audit.get(0, "after") == "admin");
    BOOST_TEST(code(call("PUT", uri(helper.id, "role"), &root, R"({"role":"root"})")) == "invalid_field");
    BOOST_TEST(code(call("PUT", uri(helper.id, "role"), &root, R"({})")) == "missing_field");
    BOOST_TEST(code(call("PUT", uri(root.id, "role"), &root, R"({"role":"user"})")) == "cannot_demote_self");
}
