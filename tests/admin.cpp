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
                                {"POST", uri(target.id, "unban")}, {"DELETE", uri(target.id, "subscription")},
                                {"GET", std::string(admin::stats_path)}, {"GET", std::string(admin::payments_path)},
                                {"GET", std::string(admin::payments_path) + "/1"}, {"POST", std::string(admin::outbox_path) + "/1/retry"}}) {
        BOOST_TEST(call(method, path, &member).status == 403, path);
        BOOST_TEST(call(method, path, nullptr).status == 401, path);
    }
    BOOST_TEST(call("PUT", uri(target.id, "role"), &member, R"({"role":"admin"})").status == 403);
    BOOST_TEST(call("POST", uri(target.id, "subscription"), &member, R"({"plan_id":"prime-monthly-usd"})").status == 403);
    BOOST_TEST(db().exec("SELECT tier FROM users WHERE id = $1", {target.id}).get(0, "tier") == "free");
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

namespace {
std::string tier_at_the_guard(const testing::TestUser& who) {
    auto id = identify(settings.web.session, make_request("GET", "/", {}, {{"cookie", who.cookie}}));
    BOOST_REQUIRE(id.has_value());
    return id->tier;
}
long long queued(long long user_id, const std::string& like) {
    return db().exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND dedupe_key LIKE $2", {user_id, like}).get_int(0, 0);
}
}  // namespace

BOOST_AUTO_TEST_CASE(grant_and_revoke_prime_through_the_payment_code) {
    auto root = user("Root", "admin"), fan = user("Fan");
    auto plans = db().exec("SELECT id, duration_days FROM plans WHERE duration_days IS NOT NULL ORDER BY duration_days LIMIT 1");
    const std::string plan = plans.get(0, "id");
    const long long plan_days = plans.get_int(0, "duration_days");
    // Bad input first: nothing granted.
    for (const auto& [body, want] : std::vector<std::pair<std::string, std::string>>{
             {"{}", "missing_field"}, {R"({"plan_id":"no-such-plan"})", "unknown_plan"}, {R"({"days":0})", "invalid_field"},
             {R"({"days":3651})", "invalid_field"}, {R"({"days":"7"})", "invalid_field"}, {R"({"months":1})", "unknown_field"},
             {R"({"days":7})", "missing_field"}}) {  // days alone need a current plan
        auto r = call("POST", uri(fan.id, "subscription"), &root, body);
        BOOST_TEST(r.status == 422, body << " → " << r.body);
        BOOST_TEST(code(r) == want, body << " → " << r.body);
    }
    BOOST_TEST(call("POST", uri(999999999, "subscription"), &root, R"({"plan_id":")" + plan + "\"}").status == 404);
    BOOST_TEST(tier_at_the_guard(fan) == "free");
    // A plan: its length, the tier at the guard at once, the person told, the audit with before/after.
    auto r = call("POST", uri(fan.id, "subscription"), &root, Json{{"plan_id", plan}, {"reason", "contest winner"}}.dump());
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    Json body = testing::body_json(r);
    BOOST_TEST(body["user"]["tier"] == "prime");
    BOOST_TEST(body["subscription"]["plan_id"] == plan);
    BOOST_TEST(tier_at_the_guard(fan) == "prime");
    auto days_left = [&] {
        return db().exec("SELECT round(extract(epoch FROM ends_at - now()) / 86400) FROM subscriptions WHERE user_id = $1 AND status = 'active'",
                         {fan.id}).get_int(0, 0);
    };
    BOOST_TEST(days_left() == plan_days);
    BOOST_TEST(queued(fan.id, "admin-grant:%") == 1);
    // Days on the current plan extend it.
    BOOST_TEST(call("POST", uri(fan.id, "subscription"), &root, R"({"days":10})").status == 200);
    BOOST_TEST(days_left() == plan_days + 10);
    auto audit = db().exec("SELECT details FROM audit_log WHERE action = 'subscription.grant' AND subject_id = $1 ORDER BY id", {std::to_string(fan.id)});
    BOOST_TEST_REQUIRE(audit.rows() == 2);
    Json first = Json::parse(audit.get(0, 0)), second = Json::parse(audit.get(1, 0));
    BOOST_TEST(first["before"].is_null());
    BOOST_TEST(first["after"]["plan_id"] == plan);
    BOOST_TEST(first["reason"] == "contest winner");
    BOOST_TEST(second["days"] == 10);
    BOOST_TEST(queued(fan.id, "admin-grant:%") == 2);
    // Revoke: free at the guard at once, told, audited; again: nothing to revoke.
    auto revoked = call("DELETE", uri(fan.id, "subscription"), &root);
    BOOST_TEST_REQUIRE(revoked.status == 200, revoked.body);
    BOOST_TEST(testing::body_json(revoked)["subscription"].is_null());
    BOOST_TEST(testing::body_json(revoked)["user"]["tier"] == "free");
    BOOST_TEST(tier_at_the_guard(fan) == "free");
    BOOST_TEST(db().exec("SELECT status FROM subscriptions WHERE user_id = $1", {fan.id}).get(0, 0) == "revoked");
    BOOST_TEST(queued(fan.id, "admin-revoke:%") == 1);
    BOOST_TEST(call("DELETE", uri(fan.id, "subscription"), &root).status == 404);
    // A lifetime plan: no end.
    auto lifetime = db().exec("SELECT id FROM plans WHERE duration_days IS NULL LIMIT 1");
    if (lifetime.rows()) {
        auto l = call("POST", uri(fan.id, "subscription"), &root, Json{{"plan_id", lifetime.get(0, 0)}}.dump());
        BOOST_TEST_REQUIRE(l.status == 200, l.body);
        BOOST_TEST(testing::body_json(l)["subscription"]["ends_at"].is_null());
    }
}

BOOST_AUTO_TEST_CASE(stats_count_what_is_there) {
    auto root = user("Root", "admin");
    auto before = testing::body_json(call("GET", std::string(admin::stats_path), &root));
    auto payer = user("Payer");
    auto plan = db().exec("SELECT id FROM plans ORDER BY id LIMIT 1").get(0, 0);
    // Two approved payments this month in one currency, one in another, one declined, one reversed.
    for (const auto& [amount, currency, state] : std::vector<std::tuple<std::string, std::string, std::string>>{
             // ISO's test currencies: no other suite (they run at once, on the same database) uses them.
             {"10.50", "XTS", "approved"}, {"4.25", "XTS", "approved"}, {"40000", "XXX", "approved"}, {"99", "XTS", "declined"},
             {"77", "XTS", "reversed"}})
        db().exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency, state, approved_at) "
                  "VALUES ($1, $2, $3, $4::numeric, $5, $6, CASE WHEN $6 = 'approved' THEN now() END)",
                  {"STATS-" + std::to_string(testing::unique_number()), payer.id, plan, amount, currency, state});
    db().exec("INSERT INTO outbox (kind, user_id, payload, dead_at, last_error, attempts) VALUES ('telegram', $1, '{}', now(), 'Bot API: 400 chat not found', 8)", {payer.id});
    auto r = call("GET", std::string(admin::stats_path), &root);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    Json after = testing::body_json(r);
    // Other suites add people meanwhile: at least the payer.
    BOOST_TEST(after["users"]["total"].get<long long>() >= before["users"]["total"].get<long long>() + 1);
    BOOST_TEST(after["users"]["new_per_day"].size() == 30u);
    BOOST_TEST(after["users"]["new_per_day"].back()["count"].get<long long>() >= before["users"]["new_per_day"].back()["count"].get<long long>() + 1);
    BOOST_TEST(after["users"]["new_per_day"].back()["count"].get<long long>() <= after["users"]["total"].get<long long>());
    auto month_total = [](const Json& stats, const std::string& currency) {
        double total = 0;
        for (const auto& m : stats["revenue_per_month"])
            if (m["currency"] == currency && m["month"] == stats["revenue_per_month"].back()["month"]) total += std::stod(m["amount"].get<std::string>());
        return total;
    };
    BOOST_TEST(month_total(after, "XTS") - month_total(before, "XTS") == 14.75, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(month_total(after, "XXX") - month_total(before, "XXX") == 40000.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(after["outbox"]["dead"].get<long long>() >= before["outbox"]["dead"].get<long long>() + 1);
    bool listed = false;
    for (const auto& row : after["outbox"]["dead_rows"]) listed = listed || row["last_error"] == "Bot API: 400 chat not found";
    BOOST_TEST(listed);
    BOOST_TEST(after.contains("live_now"));
    BOOST_TEST(after["subscriptions"]["active_by_plan"].is_array());
}

BOOST_AUTO_TEST_CASE(a_dead_outbox_row_is_retried_once_asked) {
    auto root = user("Root", "admin"), fan = user("Fan");
    const long long id = db().exec("INSERT INTO outbox (kind, user_id, payload, dead_at, last_error, attempts) "
                                   "VALUES ('telegram', $1, '{}', now(), 'SMTP down', 8) RETURNING id", {fan.id}).get_int(0, 0);
    const std::string retry = std::string(admin::outbox_path) + "/" + std::to_string(id) + "/retry";
    auto r = call("POST", retry, &root);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    auto row = db().exec("SELECT dead_at IS NULL AS alive, attempts, next_attempt_at <= now() AS due FROM outbox WHERE id = $1", {id});
    BOOST_TEST(row.get_bool(0, "alive"));
    BOOST_TEST(row.get_int(0, "attempts") == 0);
    BOOST_TEST(row.get_bool(0, "due"));
    BOOST_TEST(db().exec("SELECT count(*) FROM audit_log WHERE action = 'outbox.retry' AND subject_id = $1", {std::to_string(id)}).get_int(0, 0) == 1);
    BOOST_TEST(call("POST", retry, &root).status == 404);  // not dead any more
    BOOST_TEST(call("POST", std::string(admin::outbox_path) + "/abc/retry", &root).status == 404);
}

BOOST_AUTO_TEST_CASE(payments_are_found_by_invoice_reference_telegram_id_and_state) {
    auto root = user("Root", "admin"), payer = user("Payer"), other = user("Other");
    auto plan = db().exec("SELECT id FROM plans ORDER BY id LIMIT 1").get(0, 0);
    const std::string invoice = "ADM-" + std::to_string(testing::unique_number());
    const long long id = db().exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency, state, provider_ref, approved_at) "
                                   "VALUES ($1, $2, $3, 19.99, 'USD', 'approved', $4, now()) RETURNING id",
                                   {invoice, payer.id, plan, "REF" + invoice}).get_int(0, 0);
    db().exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) VALUES ($1, $2, $3, 5, 'USD')",
              {invoice + "-x", other.id, plan});
    db().exec("INSERT INTO payment_confirmations (provider_ref, state_code, payment_record_id, raw_payload, outcome) VALUES ($1, 1, $2, '{}', 'approved')",
              {"REF" + invoice, id});
    const std::string payments = std::string(admin::payments_path);
    for (const std::string& q : {invoice, "REF" + invoice, std::to_string(payer.telegram_id)}) {
        auto found = testing::body_json(call("GET", payments + "?q=" + q, &root));
        BOOST_TEST_REQUIRE(found["items"].size() == 1u, q);
        BOOST_TEST(found["items"][0]["id"] == id);
        BOOST_TEST(found["items"][0]["amount"] == "19.99");
    }
    auto approved = testing::body_json(call("GET", payments + "?q=" + std::to_string(other.telegram_id) + "&state=approved", &root));
    BOOST_TEST(approved["items"].size() == 0u);
    BOOST_TEST(call("GET", payments + "?state=paid", &root).status == 422);
    BOOST_TEST(call("GET", payments + "?flagged=1", &root).status == 422);
    BOOST_TEST(call("GET", payments + "?purpose=gift", &root).status == 422);
    BOOST_TEST(testing::body_json(call("GET", payments + "?q=" + invoice + "&purpose=donation", &root))["items"].size() == 0u);
    BOOST_TEST(testing::body_json(call("GET", payments + "?q=" + invoice + "&purpose=subscription", &root))["items"].size() == 1u);
    BOOST_TEST(call("GET", payments + "?cursor=zzz", &root).status == 400);
    auto one = call("GET", payments + "/" + std::to_string(id), &root);
    BOOST_TEST_REQUIRE(one.status == 200, one.body);
    Json p = testing::body_json(one)["payment"];
    BOOST_TEST(p["invoice"] == invoice);
    BOOST_TEST_REQUIRE(p["confirmations"].size() == 1u);
    BOOST_TEST(p["confirmations"][0]["outcome"] == "approved");
    BOOST_TEST(!p["confirmations"][0].contains("raw_payload"));  // the buyer's details stay in the database
    BOOST_TEST(call("GET", payments + "/999999999", &root).status == 404);
    BOOST_TEST(call("GET", payments + "/x", &root).status == 404);
}

BOOST_AUTO_TEST_CASE(a_broadcast_reaches_its_segment_and_skips_who_cant_receive_it) {
    auto root = user("Root", "admin");
    const std::string tag = std::to_string(testing::unique_number());
    // Five Spanish-speaking PRIME members, one of whom blocked the bot, one banned, one not age-confirmed.
    std::vector<testing::TestUser> es_prime;
    for (int i = 0; i < 5; ++i) {
        es_prime.push_back(testing::make_user(settings.web.session, "Es" + tag, "user", "prime"));
        db().exec("UPDATE users SET language = 'es', age_verified_at = now() WHERE id = $1", {es_prime.back().id});
    }
    db().exec("UPDATE users SET unreachable_at = now() WHERE id = $1", {es_prime[0].id});
    db().exec("UPDATE users SET banned_at = now() WHERE id = $1", {es_prime[1].id});
    db().exec("UPDATE users SET age_verified_at = NULL WHERE id = $1", {es_prime[2].id});
    auto en_prime = testing::make_user(settings.web.session, "En" + tag, "user", "prime");
    db().exec("UPDATE users SET language = 'en', age_verified_at = now() WHERE id = $1", {en_prime.id});
    const std::string path = std::string(admin::broadcasts_path);
    for (const auto& [body, want] : std::vector<std::pair<std::string, std::string>>{
             {"{}", "missing_field"}, {R"({"text":""})", "invalid_length"}, {Json{{"text", std::string(4097, 'a')}}.dump(), "invalid_length"},
             {R"({"text":"hi","tier":"gold"})", "invalid_field"}, {R"({"text":"hi","language":"fr"})", "invalid_field"},
             {R"({"text":"hi","segment":"all"})", "unknown_field"},
             {Json{{"text", [] { std::string t; for (int i = 0; i < 2049; ++i) t += "😀"; return t; }()}}.dump(), "invalid_length"}}) {
        auto r = call("POST", path, &root, body);
        BOOST_TEST(r.status == 422, body << " → " << r.body);
        BOOST_TEST(code(r) == want, body << " → " << r.body);
    }
    BOOST_TEST(call("POST", path, &en_prime, R"({"text":"hi"})").status == 403);
    auto r = call("POST", path, &root, Json{{"text", "¡Hola " + tag + "!"}, {"tier", "prime"}, {"language", "es"}}.dump());
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    Json b = testing::body_json(r)["broadcast"];
    auto expected = db().exec("SELECT count(*) FROM users WHERE tier = 'prime' AND language = 'es' AND telegram_id IS NOT NULL AND unreachable_at IS NULL "
                              "AND banned_at IS NULL AND deleted_at IS NULL AND age_verified_at IS NOT NULL").get_int(0, 0);
    BOOST_TEST(b["recipients"] == expected);
    BOOST_TEST(b["pending"] == expected);
    BOOST_TEST(b["delivered"] == 0);
    const long long id = b["id"];
    // Exactly the two reachable ones of this test got a row; nobody else of the test did.
    auto mine = [&](long long user_id) {
        return db().exec("SELECT count(*) FROM outbox WHERE broadcast_id = $1 AND user_id = $2", {id, user_id}).get_int(0, 0);
    };
    BOOST_TEST(mine(es_prime[3].id) == 1);
    BOOST_TEST(mine(es_prime[4].id) == 1);
    for (int i : {0, 1, 2}) BOOST_TEST(mine(es_prime[static_cast<size_t>(i)].id) == 0);
    BOOST_TEST(mine(en_prime.id) == 0);
    auto payload = Json::parse(db().exec("SELECT payload FROM outbox WHERE broadcast_id = $1 AND user_id = $2", {id, es_prime[3].id}).get(0, 0));
    BOOST_TEST(payload["method"] == "sendMessage");
    BOOST_TEST(payload["chat_id"] == es_prime[3].telegram_id);
    BOOST_TEST(payload["text"] == "¡Hola " + tag + "!");
    // Progress follows the rows.
    db().exec("UPDATE outbox SET delivered_at = now() WHERE broadcast_id = $1 AND user_id = $2", {id, es_prime[3].id});
    db().exec("UPDATE outbox SET dead_at = now(), last_error = 'Telegram 403' WHERE broadcast_id = $1 AND user_id = $2", {id, es_prime[4].id});
    Json progress = testing::body_json(call("GET", path + "/" + std::to_string(id), &root))["broadcast"];
    BOOST_TEST(progress["delivered"].get<long long>() >= 1);
    BOOST_TEST(progress["failed"].get<long long>() >= 1);
    BOOST_TEST(progress["delivered"].get<long long>() + progress["failed"].get<long long>() + progress["pending"].get<long long>() == expected);
    BOOST_TEST(db().exec("SELECT count(*) FROM audit_log WHERE action = 'broadcast.send' AND subject_id = $1", {std::to_string(id)}).get_int(0, 0) == 1);
    BOOST_TEST(call("GET", path + "/999999999", &root).status == 404);
    BOOST_TEST(call("GET", path + "/x", &root).status == 404);
}
