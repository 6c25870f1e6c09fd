// PostgreSQL and Redis wrappers and the schema, against the run's real PostgreSQL and Redis.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>

#include "crypto.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "router.hpp"
#include "testing.hpp"

using namespace pnptv;

namespace {
// A telegram id no other test uses.
long long fresh_telegram_id() {
    auto bytes = random_bytes(4);
    return 1'000'000'000LL + (static_cast<unsigned char>(bytes[0]) << 16 | static_cast<unsigned char>(bytes[1]) << 8 |
                              static_cast<unsigned char>(bytes[2]));
}
long long insert_user(long long telegram_id) {
    return db().exec("INSERT INTO users (telegram_id, first_name) VALUES ($1, 'T') RETURNING id", {telegram_id})
        .get_int(0, 0);
}

// What a handler's caller gets when `failure` escapes it: a 503 naming the store, with Retry-After.
void answered_503(std::exception_ptr failure, const std::string& code) {
    auto r = failure_response(failure, testing::make_request("GET", "/x"));
    BOOST_TEST(r.status == 503);
    BOOST_TEST(r.header("Retry-After").value_or("") == "5");
    BOOST_TEST(testing::body_json(r)["error"]["code"] == code);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(postgres)

BOOST_AUTO_TEST_CASE(parameters_travel_separately_from_sql) {
    std::string hostile = "x'); DROP TABLE users; --";
    auto r = db().exec("SELECT $1::text, $2::bigint, $3::text IS NULL", {hostile, 42LL, std::nullopt});
    BOOST_TEST(r.get(0, 0) == hostile);
    BOOST_TEST(r.get_int(0, 1) == 42);
    BOOST_TEST(r.get_bool(0, 2));
    // The hostile text stayed a value: the table it names is still there.
    BOOST_TEST(db().exec("SELECT to_regclass('public.users') IS NOT NULL").get_bool(0, 0));
}

BOOST_AUTO_TEST_CASE(columns_are_read_by_name) {
    auto r = db().exec("SELECT 7 AS n, 'x' AS t, NULL::text AS missing, true AS yes");
    BOOST_TEST(r.get_int(0, "n") == 7);
    BOOST_TEST(r.get(0, "t") == "x");
    BOOST_TEST(r.is_null(0, "missing"));
    BOOST_TEST(!r.get_opt(0, "missing").has_value());
    BOOST_TEST(r.get_bool(0, "yes"));
    BOOST_CHECK_EXCEPTION(r.get(0, "nope"), std::logic_error,
                          [](const std::logic_error& e) { return std::string(e.what()).find("nope") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(sql_errors_carry_sqlstate) {
    long long tg = fresh_telegram_id();
    insert_user(tg);
    try {
        insert_user(tg);
        BOOST_FAIL("expected a unique violation");
    } catch (const PgError& e) {
        BOOST_TEST(e.sqlstate == "23505");
    }
    // The connection is still usable afterwards.
    BOOST_TEST(db().exec("SELECT 1").get_int(0, 0) == 1);
}

BOOST_AUTO_TEST_CASE(transaction_rolls_back_on_throw) {
    long long tg = fresh_telegram_id();
    BOOST_CHECK_THROW(db().transaction([&] {
        insert_user(tg);
        throw std::runtime_error("halfway");
    }),
                      std::runtime_error);
    BOOST_TEST(db().exec("SELECT 1 FROM users WHERE telegram_id = $1", {tg}).rows() == 0);
    db().transaction([&] { insert_user(tg); });
    BOOST_TEST(db().exec("SELECT 1 FROM users WHERE telegram_id = $1", {tg}).rows() == 1);
}

BOOST_AUTO_TEST_CASE(reconnects_after_the_server_drops_it) {
    auto pid = db().exec("SELECT pg_backend_pid()").get(0, 0);
    Pg other(testing::settings<DatabaseSettings>().url);
    other.exec("SELECT pg_terminate_backend($1::int)", {pid});
    // Give the server a moment to close the socket, then the next statement just works.
    for (int i = 0; i < 50 && other.exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int", {pid}).rows(); ++i)
        usleep(20000);
    BOOST_TEST(db().exec("SELECT 1").get_int(0, 0) == 1);
    BOOST_TEST(db().exec("SELECT pg_backend_pid()").get(0, 0) != pid);
}

// A transaction left aborted (nothing rolled it back) would fail every later statement with
// 25P02: the next statement starts over on a fresh connection instead.
BOOST_AUTO_TEST_CASE(an_aborted_transaction_left_behind_is_replaced) {
    Pg pg(testing::settings<DatabaseSettings>().url);
    const std::string pid = pg.exec("SELECT pg_backend_pid()").get(0, 0);
    pg.exec("BEGIN");
    BOOST_CHECK_THROW(pg.exec("SELECT 1 / 0"), PgError);
    BOOST_TEST(pg.exec("SELECT 1").get_int(0, 0) == 1);
    BOOST_TEST(pg.exec("SELECT pg_backend_pid()").get(0, 0) != pid);
}

BOOST_AUTO_TEST_CASE(unreachable_database_is_503) {
    Pg nowhere("postgresql://pnptv@/pnptv?host=/nonexistent&connect_timeout=1");
    try {
        nowhere.exec("SELECT 1");
        BOOST_FAIL("expected PgUnavailable");
    } catch (const PgUnavailable&) {
        answered_503(std::current_exception(), "database_unavailable");
    }
}

// PostgreSQL answering that it lacks a resource (SQLSTATE class 53: a full disk, memory, too many
// connections) is the database being unavailable for now, like a lost connection: a 503 with
// Retry-After, never a 500. The statement's transaction is rolled back; the connection stays.
BOOST_AUTO_TEST_CASE(a_full_disk_is_503_and_the_connection_stays) {
    const std::string backend = db().exec("SELECT pg_backend_pid()").get(0, 0);
    for (const char* condition : {"disk_full", "insufficient_resources", "out_of_memory", "too_many_connections",
                                  "configuration_limit_exceeded"}) {
        BOOST_TEST_CONTEXT(condition) {
            long long tg = fresh_telegram_id();
            try {
                db().transaction([&] {
                    insert_user(tg);
                    db().exec(std::string("DO $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '") + condition + "'; END $$");
                });
                BOOST_FAIL("expected PgUnavailable");
            } catch (const PgUnavailable&) {
                answered_503(std::current_exception(), "database_unavailable");
            }
            BOOST_TEST(db().exec("SELECT count(*) FROM users WHERE telegram_id = $1", {tg}).get_int(0, 0) == 0);
            BOOST_TEST(db().exec("SELECT pg_backend_pid()").get(0, 0) == backend);  // the same connection, not a new one
        }
    }
    // Any other error is still the statement's own (a 500, or the handler's to interpret).
    BOOST_CHECK_EXCEPTION(db().exec("DO $$ BEGIN RAISE EXCEPTION 'nope' USING ERRCODE = 'data_exception'; END $$"), PgError,
                          [](const PgError& e) { return e.sqlstate == "22000"; });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schema)

BOOST_AUTO_TEST_CASE(plans_are_seeded) {
    auto r = db().exec("SELECT id, price::text, currency, duration_days, tier FROM plans ORDER BY id");
    BOOST_REQUIRE(r.rows() == 3);
    BOOST_TEST(r.get(0, 0) == "prime-lifetime-usd");
    BOOST_TEST(r.get(0, 1) == "99.00");
    BOOST_TEST(r.is_null(0, 3));
    BOOST_TEST(r.get(1, 0) == "prime-monthly-cop");
    BOOST_TEST(r.get(1, 1) == "40000.00");
    BOOST_TEST(r.get(1, 2) == "COP");
    BOOST_TEST(r.get(2, 3) == "30");
}

namespace {
// The SQLSTATE a statement fails with ("no error" when it succeeds).
std::string violates(const std::string& sql, const std::vector<PgParam>& params) {
    try {
        db().exec(sql, params);
        return "no error";
    } catch (const PgError& e) {
        return e.sqlstate;
    }
}
}  // namespace

BOOST_AUTO_TEST_CASE(checks_reject_bad_values) {
    long long tg = fresh_telegram_id();
    long long uid = insert_user(tg);
    BOOST_TEST(violates("UPDATE users SET language = 'ES' WHERE id = $1", {uid}) == "23514");
    BOOST_TEST(violates("UPDATE users SET role = 'root' WHERE id = $1", {uid}) == "23514");
    BOOST_TEST(violates("UPDATE users SET tier = 'gold' WHERE id = $1", {uid}) == "23514");
    BOOST_TEST(violates("INSERT INTO users (telegram_id) VALUES (-5)", {}) == "23514");
    BOOST_TEST(violates("INSERT INTO follows (follower_id, followed_id) VALUES ($1, $1)", {uid}) == "23514");
    BOOST_TEST(violates("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                        "VALUES ('PNP-x', $1, 'no-such-plan', 10, 'USD')",
                        {uid}) == "23503");
    BOOST_TEST(violates("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                        "VALUES ('PNP-neg', $1, 'prime-monthly-usd', -1, 'USD')",
                        {uid}) == "23514");
    BOOST_TEST(violates("INSERT INTO outbox (kind, payload) VALUES ('fax', '{}')", {}) == "23514");
}

BOOST_AUTO_TEST_CASE(one_active_subscription_and_one_live_stream_per_user) {
    long long uid = insert_user(fresh_telegram_id());
    const char* sub = "INSERT INTO subscriptions (user_id, plan_id, status, starts_at, ends_at) "
                      "VALUES ($1, 'prime-monthly-usd', 'active', now(), now() + interval '30 days')";
    db().exec(sub, {uid});
    BOOST_TEST(violates(sub, {uid}) == "23505");  // unique: the one-active index
    db().exec("INSERT INTO live_streams (host_id, channel) VALUES ($1, $2)", {uid, "c" + to_hex(random_bytes(8))});
    BOOST_TEST(violates("INSERT INTO live_streams (host_id, channel) VALUES ($1, $2)", {uid, "c" + to_hex(random_bytes(8))}) == "23505");
}

BOOST_AUTO_TEST_CASE(confirmation_key_is_reference_and_state) {
    const std::string ref = "R" + to_hex(random_bytes(6));
    const char* ins = "INSERT INTO payment_confirmations (provider_ref, state_code, raw_payload, outcome) "
                      "VALUES ($1, $2, '{}', 'recorded') ON CONFLICT DO NOTHING";
    BOOST_TEST(db().exec(ins, {ref, 3}).affected() == 1);
    BOOST_TEST(db().exec(ins, {ref, 3}).affected() == 0);
    BOOST_TEST(db().exec(ins, {ref, 1}).affected() == 1);
}

BOOST_AUTO_TEST_CASE(updated_at_moves_on_update) {
    long long uid = insert_user(fresh_telegram_id());
    db().exec("UPDATE users SET updated_at = now() - interval '1 day' WHERE id = $1", {uid});
    db().exec("UPDATE users SET bio = 'hi' WHERE id = $1", {uid});
    BOOST_TEST(db().exec("SELECT updated_at > now() - interval '1 minute' FROM users WHERE id = $1", {uid}).get_bool(0, 0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(redis_connection)

BOOST_AUTO_TEST_CASE(binary_safe_arguments) {
    std::string key = "test:" + to_hex(random_bytes(6));
    std::string value("a b\r\n\0*3", 8);
    redis().command({"SET", key, value, "EX", "60"});
    auto r = redis().command({"GET", key});
    BOOST_TEST(r.is_string());
    BOOST_TEST(r.str() == value);
    BOOST_TEST(redis().command({"GET", key + ":missing"}).is_nil());
    BOOST_TEST(redis().command({"NOSUCHCOMMAND"}).is_error());
}

BOOST_AUTO_TEST_CASE(reconnects_after_the_server_drops_it) {
    auto id = redis().command({"CLIENT", "ID"}).integer();
    {
        auto ep = testing::settings<RedisSettings>().endpoint;
        Redis other(ep, 500, 500);
        other.command({"CLIENT", "KILL", "ID", std::to_string(id)});
    }
    BOOST_TEST(redis().command({"PING"}).str() == "PONG");
    BOOST_TEST(redis().command({"CLIENT", "ID"}).integer() != id);
}

BOOST_AUTO_TEST_CASE(unreachable_redis_is_503) {
    Redis nowhere(*parse_redis_url("unix:///nonexistent/redis.sock"), 200, 200);
    try {
        nowhere.command({"PING"});
        BOOST_FAIL("expected RedisUnavailable");
    } catch (const RedisUnavailable&) {
        answered_503(std::current_exception(), "redis_unavailable");
    }
}

BOOST_AUTO_TEST_SUITE_END()
