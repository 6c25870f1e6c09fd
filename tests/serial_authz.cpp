// The guard's Redis records follow PostgreSQL through authz-worker: a real worker process, a
// database and a Redis of this suite's own, Redis stopped while things change (through our code
// and through psql), records deleted by hand, a keyspace full of unrelated keys. Serial: it
// stops and starts its Redis and owns timing.
#define BOOST_TEST_MODULE serial_authz
#include <boost/test/unit_test.hpp>

#include "../functions/authz-worker/handler.hpp"
#include "authz.hpp"
#include "bans.hpp"
#include "crypto.hpp"
#include "payment_confirmation.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "session.hpp"
#include "subscriptions.hpp"
#include "testing.hpp"

using namespace pnptv;

namespace {

// This suite's database and Redis, made on first use, with db() and redis() pointed at them;
// the worker is started and stopped by each test.
struct World {
    std::string dir = testing::temp_dir();
    std::string db_name = "pnptv_authz_" + to_hex(random_bytes(4));
    std::string db_url, redis_url;
    Pairs values;
    std::vector<std::string> worker_pids;

    World() {
        auto r = testing::shell("pg_createdb \"$PNPTV_TEST_TMP\" " + db_name + " && pg_migrate \"$PNPTV_TEST_TMP\" " + db_name +
                                " deploy && redis_start '" + dir + "' socket-only persist && pg_url \"$PNPTV_TEST_TMP\" " + db_name);
        BOOST_TEST_REQUIRE(r.status == 0, r.output);
        db_url = testing::last_line(r.output);
        redis_url = "unix://" + dir + "/redis/redis.sock";
        values = {{"DATABASE_URL", db_url}, {"REDIS_URL", redis_url}, {"SESSION_SECRETS", "authz-secret"},
                  {"REDIS_TIMEOUT_MS", "300"}, {"AUTHZ_REPAIR_INTERVAL_SECONDS", "1"}};
        configure_connections(testing::settings<StoreSettings>(values));
    }
    authz_worker::Settings worker_settings() const { return testing::settings<authz_worker::Settings>(values); }
    SessionSettings session_settings() const { return testing::settings<SessionSettings>(values); }
    ~World() {
        stop_worker();
        testing::shell("redis_stop '" + dir + "'");
    }
    void start_worker() {
        auto r = testing::shell("env " + testing::shell_assignments(values) + "LOG_LEVEL=info \"$BUILD/bin/authz-worker\" >>'" + dir +
                                "/worker.log' 2>&1 & echo $!");
        worker_pids.push_back(testing::last_line(r.output));
    }
    void stop_worker() {
        for (auto& p : worker_pids) testing::shell("kill -TERM " + p + " 2>/dev/null; wait_gone " + p + " || kill -9 " + p);
        worker_pids.clear();
    }
    void redis_down() { BOOST_TEST_REQUIRE(testing::shell("redis_stop '" + dir + "'").status == 0); }
    void redis_up() { BOOST_TEST_REQUIRE(testing::shell("redis_start '" + dir + "' socket-only persist").status == 0); }
};
World& world() {
    static World w;
    return w;
}

long long add_user(const std::string& tier = "free") {
    return db().exec("INSERT INTO users (telegram_id, first_name, tier, age_verified_at) VALUES ($1, 'Z', $2, now()) RETURNING id",
                     {7'000'000'000LL + testing::unique_number() % 100'000'000LL, tier}).get_int(0, 0);
}

std::string record_field(long long user, const char* field) {
    try {
        auto r = redis().command({"HGET", authz_key(user), field});
        return r.is_string() ? r.str() : "(none)";
    } catch (const RedisUnavailable&) {
        return "(redis down)";
    }
}

// The identity a session of this user gets from the guard, or "denied".
std::string guard_sees(const std::string& cookie_value) {
    try {
        auto id = identify_cookie(world().session_settings(), cookie_value);
        return id ? id->role + "/" + id->tier : "denied";
    } catch (const RedisUnavailable&) {
        return "(redis down)";
    }
}

std::string session_for(long long user) {
    SessionUser su;
    su.id = user;
    return session_cookie_value(create_session(world().session_settings(), su), "authz-secret");
}

long long pending_changes() { return db().exec("SELECT count(*) FROM authz_changes").get_int(0, 0); }
bool change_pending(long long user) { return db().exec("SELECT 1 FROM authz_changes WHERE user_id = $1", {user}).rows() == 1; }

// Every test case starts with the suite's own stores in place.
struct UsesWorld {
    UsesWorld() { world(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(authz, UsesWorld)

BOOST_AUTO_TEST_CASE(every_user_gets_a_record_and_psql_changes_reach_the_guard) {
    world().start_worker();
    long long user = add_user();
    BOOST_TEST(testing::wait_for([&] { return record_field(user, "tier") == "free"; }, 5));
    std::string cookie = session_for(user);
    BOOST_TEST(guard_sees(cookie) == "user/free");
    // An operator's psql, not our code: the trigger's intent carries it to the guard.
    Pg psql(world().db_url);
    psql.exec("UPDATE users SET tier = 'prime', role = 'admin' WHERE id = $1", {user});
    BOOST_TEST(testing::wait_for([&] { return guard_sees(cookie) == "admin/prime"; }, 5));
    psql.exec("UPDATE users SET banned_at = now() WHERE id = $1", {user});
    BOOST_TEST(testing::wait_for([&] { return guard_sees(cookie) == "denied"; }, 5));
    // A user deleted outright loses the record: their sessions are refused.
    long long gone = add_user();
    std::string gone_cookie = session_for(gone);
    BOOST_TEST(testing::wait_for([&] { return guard_sees(gone_cookie) == "user/free"; }, 5));
    psql.exec("DELETE FROM users WHERE id = $1", {gone});
    BOOST_TEST(testing::wait_for([&] { return guard_sees(gone_cookie) == "denied"; }, 5));
    BOOST_TEST(testing::wait_for([&] { return pending_changes() == 0; }, 5));
    world().stop_worker();
}

BOOST_AUTO_TEST_CASE(changes_made_while_redis_is_down_reach_the_guard_once_it_is_back) {
    world().start_worker();
    long long expiring = add_user("prime"), reversed = add_user("free"), banned = add_user("prime");
    db().exec("INSERT INTO subscriptions (user_id, plan_id, status, starts_at, ends_at) "
              "VALUES ($1, 'prime-monthly-usd', 'active', now() - interval '31 days', now() + interval '1 hour')", {expiring});
    Grant grant;
    db().transaction([&] { grant = grant_subscription(reversed, "prime-monthly-usd", 30, std::nullopt); });
    project_users_now({reversed});
    std::string c1 = session_for(expiring), c2 = session_for(reversed), c3 = session_for(banned);
    BOOST_TEST(testing::wait_for([&] { return guard_sees(c1) == "user/prime" && guard_sees(c2) == "user/prime" &&
                                              guard_sees(c3) == "user/prime"; }, 5));
    world().redis_down();
    // While Redis is down: a subscription expires, a payment's grant is taken back (a reversal),
    // and an operator bans someone with psql. Our code's own writes to Redis fail (and are logged).
    db().exec("UPDATE subscriptions SET ends_at = now() - interval '1 second' WHERE user_id = $1", {expiring});
    BOOST_TEST(expire_subscriptions() == 1);
    db().transaction([&] { take_back_grant(reversed, grant); });
    project_users_now({reversed});
    Pg(world().db_url).exec("UPDATE users SET banned_at = now() WHERE id = $1", {banned});
    for (long long user : {expiring, reversed, banned}) BOOST_TEST(change_pending(user));
    world().redis_up();  // with its old (AOF) contents: every record still says PRIME
    BOOST_TEST(testing::wait_for([&] { return guard_sees(c1) == "user/free" && guard_sees(c2) == "user/free" &&
                                              guard_sees(c3) == "denied"; }, 5));
    BOOST_TEST(testing::wait_for([&] { return pending_changes() == 0; }, 5));
    world().stop_worker();
}

BOOST_AUTO_TEST_CASE(a_record_deleted_by_hand_is_rebuilt) {
    world().start_worker();
    long long user = add_user("prime");
    std::string cookie = session_for(user);
    BOOST_TEST(testing::wait_for([&] { return guard_sees(cookie) == "user/prime"; }, 5));
    redis().command({"DEL", authz_key(user)});
    BOOST_TEST(guard_sees(cookie) == "denied");  // fail closed meanwhile
    BOOST_TEST(testing::wait_for([&] { return guard_sees(cookie) == "user/prime"; }, 5));
    // A record edited by hand for a user changed lately is put back by the check of recent users
    // (the worker stopped, so that check is the only thing that could).
    world().stop_worker();
    redis().command({"HSET", authz_key(user), "role", "admin"});
    BOOST_TEST(guard_sees(cookie) == "admin/prime");
    BOOST_TEST(authz_worker::repair_recent(world().worker_settings()) == 1);
    BOOST_TEST(guard_sees(cookie) == "user/prime");
}

BOOST_AUTO_TEST_CASE(the_repair_pass_walks_every_user_in_batches) {
    std::vector<long long> users;
    for (int i = 0; i < 25; ++i) users.push_back(add_user());
    project_users_now(users);
    for (long long u : users) redis().command({"DEL", authz_key(u)});
    auto s = world().worker_settings();
    s.repair_batch = 7;
    int repaired = 0, steps = 0;
    long long cursor = 0;
    do {
        cursor = authz_worker::repair_step(s, cursor, repaired);
        ++steps;
    } while (cursor != 0 && steps < 10000);
    BOOST_TEST(repaired == 25);
    BOOST_TEST(steps > 3);
    for (long long u : users) BOOST_TEST(record_field(u, "role") == "user");
}

BOOST_AUTO_TEST_CASE(a_payments_effect_on_redis_is_one_round_trip_whatever_else_redis_holds) {
    for (int chunk = 0; chunk < 20; ++chunk)  // 200,000 keys, 10,000 per call (each well within the timeout)
        redis().command({"EVAL", "for i = 1, 10000 do redis.call('SET', 'unrelated:' .. ARGV[1] .. ':' .. i, 'x') end", "0",
                         std::to_string(chunk)});
    BOOST_TEST_REQUIRE(redis().command({"DBSIZE"}).integer() >= 200000);
    long long user = add_user();
    long long rec = db().exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                              "VALUES ($1, $2, 'prime-monthly-usd', 10.00, 'USD') RETURNING id",
                              {"PNP-" + to_hex(random_bytes(6)).substr(0, 12), user}).get_int(0, 0);
    std::string invoice = db().exec("SELECT upper(invoice) FROM payment_records WHERE id = $1", {rec}).get(0, 0);
    db().exec("UPDATE payment_records SET invoice = $2 WHERE id = $1", {rec, invoice});
    const std::string ref = std::to_string(testing::unique_number());
    db().exec("INSERT INTO payment_references (provider_ref, source, due_at) VALUES ($1, 'webhook', NULL)", {ref});
    Json data = {{"x_ref_payco", ref}, {"x_cod_transaction_state", "1"}, {"x_amount", "10.00"}, {"x_currency_code", "USD"},
                 {"x_id_invoice", invoice}, {"x_extra1", std::to_string(user)}, {"x_extra2", "prime-monthly-usd"},
                 {"x_extra3", std::to_string(rec)}};
    redis().command({"CONFIG", "RESETSTAT"});
    BOOST_TEST_REQUIRE(apply_verified_transaction(epayco_transaction_from(data), 30).outcome == "applied");
    std::string stats = redis().command({"INFO", "commandstats"}).str();
    BOOST_TEST(stats.find("cmdstat_scan") == std::string::npos, stats);
    BOOST_TEST(stats.find("cmdstat_keys") == std::string::npos, stats);
    BOOST_TEST(stats.find("cmdstat_hset:calls=1,") != std::string::npos, stats);
    BOOST_TEST(stats.find("cmdstat_del:calls=1,") != std::string::npos, stats);
    BOOST_TEST(record_field(user, "tier") == "prime");
    redis().command({"FLUSHDB"});
}

BOOST_AUTO_TEST_SUITE_END()
