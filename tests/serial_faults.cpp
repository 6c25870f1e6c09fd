// Faults under load, against the real stack (tests/support/stack.hpp: `make run` in a folder of its
// own, the Bot API and ePayco replaced by the local fake): a function worker killed mid-request,
// notify-worker killed mid-batch, PostgreSQL killed under a load of ePayco confirmations, Redis
// killed while a ban and a payment happen, slow clients and a flood, a full disk under
// PostgreSQL. Each case says what must hold and checks it in PostgreSQL or at the fake, waiting
// for conditions, never for a time. `make test` runs the short version; `make test-system`
// (PNPTV_TEST_FULL=1) more confirmations, longer floods, repeated kills. Serial: it kills and
// restarts the stack's services. The outages serial_stack already covers (PostgreSQL or Redis
// down for /health, one confirmation retried after an outage, a page with Redis down, a killed
// /health worker's metrics) are not repeated here.
#define BOOST_TEST_MODULE serial_faults
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <future>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "crypto.hpp"
#include "epayco.hpp"
#include "pg.hpp"
#include "stack.hpp"
#include "testing.hpp"

using testing::Stack;

namespace {

// A killed notify-worker's claimed rows are taken over after OUTBOX_CLAIM_SECONDS (its floor, 5 s,
// not the default minute, so the test waits for the real mechanism rather than editing rows);
// clients are told apart by the X-Forwarded-For a proxy on this host sets (a flood from one
// address, everyone else from others).
Stack& stack() {
    static Stack s("OUTBOX_CLAIM_SECONDS=5 TRUSTED_PROXIES=127.0.0.1");
    return s;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

// The workers multiwatch keeps for a pool (its children), sorted.
std::vector<std::string> workers_of(const std::string& pool) {
    auto pids = lines_of(stack().sh("pgrep -P \"$(cat \"$STACK_RUN_DIR/pids/" + pool + ".pid\")\" || true").output);
    std::sort(pids.begin(), pids.end());
    return pids;
}

// Whether multiwatch has put back every worker of a pool (STACK_WORKERS), none of them one of `killed`.
bool pool_restarted(const std::string& pool, const std::vector<std::string>& killed) {
    auto now = workers_of(pool);
    return now.size() == 2u && std::none_of(killed.begin(), killed.end(), [&](const std::string& pid) {
        return std::find(now.begin(), now.end(), pid) != now.end();
    });
}

void kill_9(const std::vector<std::string>& pids) {
    for (const auto& pid : pids) BOOST_TEST_REQUIRE(stack().sh("kill -9 " + pid + " && wait_gone " + pid).status == 0, pid);
}

std::string env_file() { return "PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" "; }

long long fresh_telegram_id() { return 3'200'000'000LL + testing::unique_number() % 100'000'000LL; }

// The guard's answer for a session on a page, as a browser sees it.
testing::HttpResult hub(const std::string& cookie) { return testing::http("GET", stack().url("/hub/"), {}, {"Cookie: " + cookie}); }
bool sent_to_login(const testing::HttpResult& r) {
    return r.status == 302 && r.header("location").value_or("").rfind("/auth/?redirect=", 0) == 0;
}

// An error answer as the functions and nginx write them: its JSON code ("" when it isn't one).
std::string error_code(const testing::HttpResult& r) {
    auto j = testing::body_json({static_cast<int>(r.status), {}, {}, r.body});
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

// A table lock held in a transaction of `pg` until release() or the end of the scope.
class HeldLock {
public:
    HeldLock(pnptv::Pg& pg, const std::string& lock_statement) : pg_(pg) {
        pg_.exec("BEGIN");
        pg_.exec(lock_statement);
    }
    ~HeldLock() {
        try {
            release();
        } catch (const std::exception&) {  // the connection is gone, and the lock with it
        }
    }
    void release() {
        if (held_) {
            held_ = false;
            pg_.exec("ROLLBACK");
        }
    }

private:
    pnptv::Pg& pg_;
    bool held_ = true;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One approved ePayco payment: our record (as a checkout writes it) and ePayco's signed
// confirmation of it, which the fake's validation endpoint also answers with.
struct Payment {
    long long user = 0, record = 0;
    std::string ref, form;
};

// `people` new users who will pay.
std::vector<long long> new_payers(pnptv::Pg& pg, int people) {
    std::vector<long long> users;
    for (int i = 0; i < people; ++i)
        users.push_back(pg.exec("INSERT INTO users (telegram_id, first_name, age_verified_at) VALUES ($1, 'Payer', now()) RETURNING id",
                                {fresh_telegram_id()}).get_int(0, 0));
    return users;
}

// `count` payments of PRIME (30 days) spread over `users`, their validation answers given to the
// fake. Their references all start with `tag`.
std::vector<Payment> approved_payments(pnptv::Pg& pg, const std::string& tag, int count, const std::vector<long long>& users) {
    std::vector<Payment> out;
    pnptv::Json answers = pnptv::Json::object();
    for (int i = 0; i < count; ++i) {
        Payment p;
        p.user = users[static_cast<size_t>(i) % users.size()];
        std::string invoice = "PNP-" + pnptv::to_hex(pnptv::random_bytes(6));  // as checkouts make them
        std::transform(invoice.begin(), invoice.end(), invoice.begin(), [](unsigned char c) { return std::toupper(c); });
        p.record = pg.exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                           "VALUES ($1, $2, 'prime-monthly-usd', 10.00, 'USD') RETURNING id", {invoice, p.user}).get_int(0, 0);
        p.ref = tag + std::to_string(i);
        const std::string signature = pnptv::epayco_signature("12345", "testkey123", p.ref, "TX-" + p.ref, "10.00", "USD");
        pnptv::Json data = {{"x_cust_id_cliente", "12345"}, {"x_ref_payco", p.ref}, {"x_id_invoice", invoice},
                            {"x_amount", "10.00"}, {"x_currency_code", "USD"}, {"x_transaction_id", "TX-" + p.ref},
                            {"x_cod_transaction_state", "1"}, {"x_extra1", std::to_string(p.user)},
                            {"x_extra2", "prime-monthly-usd"}, {"x_extra3", std::to_string(p.record)}, {"x_signature", signature}};
        answers[p.ref] = data;
        for (auto& [k, v] : data.items()) p.form += (p.form.empty() ? "" : "&") + k + "=" + v.get<std::string>();
        out.push_back(std::move(p));
    }
    BOOST_TEST_REQUIRE(testing::http("POST", stack().fake + "/__validation", answers.dump()).status == 200);
    return out;
}

testing::HttpResult confirm(const Payment& p) {
    return testing::http("POST", stack().url("/api/webhook/epayco"), p.form, {"Content-Type: application/x-www-form-urlencoded"}, 30000);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// A function worker killed with kill -9 in the middle of a request (an admin's ban, held by a
// lock after its UPDATE of users and before its audit row): nginx answers 502 with its JSON
// error at once, the request's transaction never commits, multiwatch starts another worker and
// the same request then succeeds.
BOOST_AUTO_TEST_CASE(a_worker_killed_mid_request_answers_502_and_commits_nothing) {
    Stack& s = stack();
    pnptv::Pg pg(s.database_url()), watch(s.database_url());
    const long long admin_tg = fresh_telegram_id();
    const std::string admin = s.log_in(admin_tg, "Admin");
    BOOST_TEST_REQUIRE(s.sh(env_file() + "scripts/make-admin " + std::to_string(admin_tg)).status == 0);
    const int kills = testing::short_or_full(1, 3);
    for (int round = 0; round < kills; ++round) {
        const long long target_tg = fresh_telegram_id();
        const std::string target = s.log_in(target_tg, "Target");
        const long long target_id = pg.exec("SELECT id FROM users WHERE telegram_id = $1", {target_tg}).get_int(0, 0);
        BOOST_TEST_REQUIRE(hub(target).status == 200);
        const std::string ban_url = s.url("/api/webapp/admin/users/" + std::to_string(target_id) + "/ban");
        const std::vector<std::string> headers = {"Cookie: " + admin, "Content-Type: application/json"};

        // The ban's transaction waits on this lock for its audit row, its UPDATE of users done.
        // (Declared after the answer: on a failure the lock goes first, then the request ends.)
        std::future<testing::HttpResult> answer;
        HeldLock lock(pg, "LOCK TABLE audit_log IN SHARE MODE");
        answer = std::async(std::launch::async, [&] { return testing::http("POST", ban_url, R"({"reason":"held"})", headers, 30000); });
        std::string backend;
        BOOST_TEST_REQUIRE(testing::wait_for([&] {
            auto r = watch.exec("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND backend_xid IS NOT NULL "
                                "AND query LIKE 'INSERT INTO audit_log%'");
            if (r.rows() == 1) backend = r.get(0, 0);
            return r.rows() == 1;
        }), "the ban was never held mid-transaction");
        // The worker serving it: the one holding a connection from nginx on the pool's socket.
        auto serving = s.sh("ss -xpH state established | grep -F \"$STACK_RUN_DIR/sockets/admin.sock \" | grep -o 'pid=[0-9]*' | cut -d= -f2");
        const auto worker = lines_of(serving.output);
        BOOST_TEST_REQUIRE(worker.size() == 1u, serving.output);
        const auto killed_at = std::chrono::steady_clock::now();
        kill_9(worker);
        const testing::HttpResult answered = answer.get();
        const double answered_after = seconds_since(killed_at);
        lock.release();  // the killed request's backend gets the lock, then finds its client gone

        BOOST_TEST(answered.status == 502, answered.status << " " << answered.body);
        BOOST_TEST(error_code(answered) == "function_unavailable", answered.body);
        BOOST_TEST(answered_after < 2.0, answered_after);
        BOOST_TEST(testing::wait_for([&] { return watch.exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1::int", {backend}).rows() == 0; }));
        // Nothing of it committed: not banned, no audit row, the guard still lets them in.
        BOOST_TEST(!pg.exec("SELECT banned_at IS NOT NULL FROM users WHERE id = $1", {target_id}).get_bool(0, 0));
        BOOST_TEST(pg.exec("SELECT count(*) FROM audit_log WHERE action = 'user.ban' AND subject_id = $1", {std::to_string(target_id)})
                       .get_int(0, 0) == 0);
        BOOST_TEST(hub(target).status == 200);

        // multiwatch has started another worker; the same request now goes through.
        BOOST_TEST_REQUIRE(testing::wait_for([&] { return pool_restarted("admin", worker); }));
        auto again = testing::http("POST", ban_url, R"({"reason":"again"})", headers);
        BOOST_TEST(again.status == 200, again.body);
        BOOST_TEST(pg.exec("SELECT banned_at IS NOT NULL FROM users WHERE id = $1", {target_id}).get_bool(0, 0));
        BOOST_TEST(pg.exec("SELECT count(*) FROM audit_log WHERE action = 'user.ban' AND subject_id = $1", {std::to_string(target_id)})
                       .get_int(0, 0) == 1);
        BOOST_TEST(sent_to_login(hub(target)));
        BOOST_TEST_MESSAGE("worker kill " << round + 1 << ": 502 after " << answered_after << " s");
    }
}

// ------------------------------------------------------------------------------------------------
// notify-worker killed (kill -9, every instance) in the middle of delivering many outbox rows
// to a slow Bot API: multiwatch restarts it and every row is delivered. Duplicates stay within
// what functions/notify-worker/README.md promises: only a row Telegram accepted before the kill
// and not yet marked delivered is sent again — at most one per kill, since one worker at a
// time sends Telegram messages, one at a time.
BOOST_AUTO_TEST_CASE(notify_worker_killed_mid_batch_delivers_every_row_with_at_most_one_duplicate_per_kill) {
    Stack& s = stack();
    pnptv::Pg pg(s.database_url());
    const int rows = testing::short_or_full(60, 300), kills = testing::short_or_full(1, 3);
    const long long first_chat = 9'100'000'000LL + testing::unique_number() % 100'000'000LL;
    BOOST_TEST_REQUIRE(testing::http("POST", s.fake + "/__reset").status == 200);
    // Each call takes 100 ms at the fake: a batch (OUTBOX_BATCH, 20) is two seconds of sending.
    BOOST_TEST_REQUIRE(testing::http("POST", s.fake + "/__mode", R"({"mode":"ok","delay_ms":100})").status == 200);
    // One chat each, so the per-chat pace doesn't spread them out.
    pg.exec("INSERT INTO outbox (kind, payload) SELECT 'telegram', jsonb_build_object('method', 'sendMessage', 'chat_id', $1::bigint + n, "
            "'text', 'fault ' || n) FROM generate_series(0, $2::int - 1) n",
            {first_chat, rows});
    // The calls the fake accepted for our chats, per chat.
    auto calls_per_chat = [&] {
        std::map<long long, int> per_chat;
        for (const auto& c : pnptv::Json::parse(testing::http("GET", s.fake + "/__calls").body)) {
            const long long chat = c["body"].value("chat_id", 0LL);
            if (chat >= first_chat && chat < first_chat + rows) ++per_chat[chat];
        }
        return per_chat;
    };
    auto accepted = [&] {
        int n = 0;
        for (const auto& [chat, count] : calls_per_chat()) n += count;
        return n;
    };
    for (int k = 1; k <= kills; ++k) {
        // Mid-batch: a share of the rows sent, the rest claimed or waiting.
        BOOST_TEST_REQUIRE(testing::wait_for([&] { return accepted() >= rows * k / (kills + 2); }, 60));
        const auto killed = workers_of("notify-worker");
        BOOST_TEST_REQUIRE(killed.size() == 2u);
        const long long open = pg.exec("SELECT count(*) FROM outbox WHERE payload->>'text' LIKE 'fault %' AND delivered_at IS NULL")
                                   .get_int(0, 0);
        kill_9(killed);
        BOOST_TEST(open > 0);  // killed with work left
        BOOST_TEST_REQUIRE(testing::wait_for([&] { return pool_restarted("notify-worker", killed); }));
        BOOST_TEST_MESSAGE("notify-worker kill " << k << ": " << open << " of " << rows << " rows not yet delivered");
    }
    BOOST_TEST(testing::wait_for([&] {
        return pg.exec("SELECT count(*) FROM outbox WHERE payload->>'text' LIKE 'fault %' AND delivered_at IS NULL").get_int(0, 0) == 0;
    }, 90));
    const auto per_chat = calls_per_chat();
    int duplicates = 0;
    for (const auto& [chat, count] : per_chat) duplicates += count - 1;
    BOOST_TEST(per_chat.size() == static_cast<size_t>(rows));  // none lost
    BOOST_TEST(duplicates <= kills, duplicates << " duplicates after " << kills << " kills");
    BOOST_TEST(pg.exec("SELECT count(*) FROM outbox WHERE payload->>'text' LIKE 'fault %' AND dead_at IS NOT NULL").get_int(0, 0) == 0);
    BOOST_TEST_MESSAGE("notify-worker: " << rows << " rows, " << kills << " kills, " << duplicates << " sent twice");
    BOOST_TEST_REQUIRE(testing::http("POST", s.fake + "/__mode", R"({"mode":"ok","delay_ms":0})").status == 200);
}

// ------------------------------------------------------------------------------------------------
// PostgreSQL killed (pg_ctl stop -m immediate: every backend gone at once, crash recovery at
// the next start) while distinct, valid ePayco confirmations arrive through nginx. While it is
// down the webhook answers 503 (JSON, Retry-After) quickly — never a 500, never a hang; every
// confirmation that got anything but 200 is sent again, as ePayco retries, until it gets a 200;
// then each is applied exactly once: as many approved records and grants as confirmations.
BOOST_AUTO_TEST_CASE(postgres_killed_under_a_load_of_confirmations_loses_none_and_applies_none_twice) {
    Stack& s = stack();
    pnptv::Pg pg(s.database_url());
    const int count = testing::short_or_full(200, 1000), outages = testing::short_or_full(1, 3);
    const std::string tag = "F" + std::to_string(testing::unique_number() % 1000000000);
    const auto payments = approved_payments(pg, tag, count, new_payers(pg, count / 4));

    struct Answer {
        long status = 0;
        double seconds = 0;
        std::string code, retry_after;
    };
    std::vector<Answer> first(payments.size());
    std::atomic<int> next{0}, answered{0}, unavailable{0};
    // A steady flow rather than a burst, so the outages fall inside it: confirmation i is sent at
    // t0 + i × 10 ms (about 100 a second), by whichever of the senders is free.
    const auto t0 = std::chrono::steady_clock::now();
    auto post_all = [&] {
        for (;;) {
            const int i = next++;
            if (i >= count) return;
            std::this_thread::sleep_until(t0 + i * std::chrono::milliseconds(10));
            auto r = confirm(payments[static_cast<size_t>(i)]);
            first[static_cast<size_t>(i)] = {r.status, r.seconds, error_code(r), r.header("retry-after").value_or("")};
            if (r.status == 503) ++unavailable;
            ++answered;
        }
    };
    std::vector<std::thread> senders;
    for (int t = 0; t < 4; ++t) senders.emplace_back(post_all);
    int seen_503 = 0;
    for (int o = 1; o <= outages; ++o) {
        BOOST_TEST(testing::wait_for([&] { return answered >= count * o / (outages + 2); }, 60));
        BOOST_TEST_REQUIRE(s.sh("as_pg_owner \"$(pg_bindir)/pg_ctl\" -D \"$(pg_home \"$STACK_RUN_DIR\")/data\" -m immediate -w stop >/dev/null")
                               .status == 0);
        // Down until ePayco has been told to come back later a few times (or nothing is left to send).
        BOOST_TEST(testing::wait_for([&] { return unavailable >= seen_503 + 10 || answered == count; }, 30));
        BOOST_TEST_REQUIRE(s.sh("pg_start \"$STACK_RUN_DIR\" \"$STACK_PG_PORT\"").status == 0);
        seen_503 = unavailable;
    }
    for (auto& t : senders) t.join();

    std::map<long, int> statuses;
    double slowest = 0;
    for (const auto& a : first) {
        ++statuses[a.status];
        slowest = std::max(slowest, a.seconds);
        if (a.status == 503) {
            BOOST_TEST(a.code == "database_unavailable");
            BOOST_TEST(a.retry_after == "5");
        }
    }
    std::string summary;
    for (const auto& [status, n] : statuses) summary += std::to_string(status) + ": " + std::to_string(n) + "  ";
    // 200 and 503 only: never a 500, a 502 or no answer (the webhook's and nginx's logs say why, if so).
    BOOST_TEST(statuses.size() <= 2u, summary << s.sh("grep -h -e unhandled_exception -e '\"status\":5[0-9][0-9]' \"$STACK_RUN_DIR/logs/epayco-webhook.log\" "
                                                      "| grep -v '\"status\":503' | tail -n 5; grep -h -e '\\[error\\]' -e '\\[crit\\]' -e '\\[alert\\]' "
                                                      "\"$STACK_RUN_DIR/nginx/error.log\" | tail -n 5").output);
    BOOST_TEST(statuses[200] + statuses[503] == count, summary);
    BOOST_TEST(statuses[503] >= 1, summary);
    BOOST_TEST(slowest < 5.0, "slowest answer " << slowest << " s");

    // ePayco redelivers what wasn't acknowledged, until it is.
    int resent = 0;
    for (size_t i = 0; i < payments.size(); ++i) {
        if (first[i].status == 200) continue;
        testing::HttpResult r;
        BOOST_TEST(testing::wait_for([&] {
            ++resent;
            r = confirm(payments[i]);
            return r.status == 200;
        }, 30), r.status << " " << r.body);
    }

    // payment-worker asks ePayco about each reference and applies its answer, once.
    std::string mine = "{";  // our records, as an array parameter
    for (const auto& p : payments) mine += (mine.size() > 1 ? "," : "") + std::to_string(p.record);
    mine += "}";
    BOOST_TEST(testing::wait_for([&] {
        return pg.exec("SELECT count(*) FROM payment_records WHERE id = ANY($1::bigint[]) AND state = 'approved'", {mine}).get_int(0, 0) == count;
    }, 90));
    auto records = pg.exec("SELECT count(*) FILTER (WHERE state = 'approved') AS approved FROM payment_records "
                           "WHERE id = ANY($1::bigint[])", {mine});
    BOOST_TEST(records.get_int(0, "approved") == count);
    auto grants = pg.exec("SELECT count(*) AS refs, count(granted_subscription_id) AS granted, coalesce(sum(granted_days), 0) AS days "
                          "FROM payment_references WHERE provider_ref LIKE $1", {tag + "%"});
    BOOST_TEST(grants.get_int(0, "refs") == count);
    BOOST_TEST(grants.get_int(0, "granted") == count);
    BOOST_TEST(grants.get_int(0, "days") == 30LL * count);
    // Each payer: one active subscription exactly as long as their payments, told once per payment.
    auto payers = pg.exec(R"sql(
SELECT count(*) AS payers,
       count(*) FILTER (WHERE subs = 1 AND active_exact AND tier = 'prime') AS exact,
       coalesce(sum(told), 0) AS told
  FROM (SELECT u.id, u.tier,
               (SELECT count(*) FROM subscriptions s WHERE s.user_id = u.id) AS subs,
               (SELECT bool_and(s.status = 'active' AND s.ends_at = s.starts_at + make_interval(days => 30 * p.paid))
                  FROM subscriptions s WHERE s.user_id = u.id) AS active_exact,
               (SELECT count(*) FROM outbox o WHERE o.user_id = u.id AND o.kind = 'telegram') AS told
          FROM users u
          JOIN (SELECT user_id, count(*)::int AS paid FROM payment_records WHERE id = ANY($1::bigint[]) GROUP BY user_id) p ON p.user_id = u.id) x
)sql", {mine});
    BOOST_TEST(payers.get_int(0, "payers") == count / 4);
    BOOST_TEST(payers.get_int(0, "exact") == count / 4);
    BOOST_TEST(payers.get_int(0, "told") == count);
    BOOST_TEST_MESSAGE("PostgreSQL killed " << outages << " time(s) under " << count << " confirmations: " << summary
                       << "slowest " << slowest << " s; " << resent << " redeliveries until every one had its 200");
}

// ------------------------------------------------------------------------------------------------
// Redis killed (kill -9): guarded pages send everyone to the login page (serial_stack's
// redis_down_never_lets_a_page_through shows it for one session; here for the two below), the
// API (an admin's grant too) says 503; PostgreSQL stays the truth: a payment confirmed meanwhile is applied (payment-worker
// goes by ePayco's answer, not Redis), and an operator's ban (scripts/ban-user) is made. Once Redis
// is back — with its old records from the AOF — the guard shows both, with nobody touching Redis:
// authz-worker applies the users trigger's authz_changes.
BOOST_AUTO_TEST_CASE(redis_killed_payments_and_bans_still_happen_and_reach_the_guard_once_it_is_back) {
    Stack& s = stack();
    pnptv::Pg pg(s.database_url());
    const long long buyer_tg = fresh_telegram_id(), banned_tg = fresh_telegram_id(), admin_tg = fresh_telegram_id();
    const std::string buyer = s.log_in(buyer_tg, "Buyer"), banned = s.log_in(banned_tg, "Banned"), admin = s.log_in(admin_tg, "Admin");
    BOOST_TEST_REQUIRE(s.sh(env_file() + "scripts/make-admin " + std::to_string(admin_tg)).status == 0);
    const long long buyer_id = pg.exec("SELECT id FROM users WHERE telegram_id = $1", {buyer_tg}).get_int(0, 0);
    const long long banned_id = pg.exec("SELECT id FROM users WHERE telegram_id = $1", {banned_tg}).get_int(0, 0);
    auto page = hub(buyer);
    BOOST_TEST_REQUIRE(page.status == 200);
    BOOST_TEST(page.header("x-user-tier").value_or("") == "free");
    BOOST_TEST_REQUIRE(hub(banned).status == 200);
    const std::string tag = "R" + std::to_string(testing::unique_number() % 1000000000);
    const Payment payment = approved_payments(pg, tag, 1, {buyer_id}).front();

    BOOST_TEST_REQUIRE(s.sh("pid=$(cat \"$STACK_RUN_DIR/redis/redis.pid\") && kill -9 $pid && wait_gone $pid").status == 0);
    // Fail closed: no page for anyone, and the API asks to come back rather than guessing.
    for (const auto& cookie : {buyer, banned}) BOOST_TEST(sent_to_login(hub(cookie)));
    auto me = testing::http("GET", s.url("/api/webapp/auth/me"), {}, {"Cookie: " + buyer});
    BOOST_TEST(me.status == 503, me.body);
    BOOST_TEST(error_code(me) == "redis_unavailable");
    BOOST_TEST(me.header("retry-after").value_or("") == "5");
    // An admin's grant can't be checked against a session: refused the same way, nothing granted.
    auto grant = testing::http("POST", s.url("/api/webapp/admin/users/" + std::to_string(banned_id) + "/subscription"), R"({"days":30})",
                               {"Cookie: " + admin, "Content-Type: application/json"});
    BOOST_TEST(grant.status == 503, grant.body);
    BOOST_TEST(error_code(grant) == "redis_unavailable");
    // The ban, through the operators' tool; the payment, through the webhook and payment-worker.
    auto ban = s.sh(env_file() + "scripts/ban-user " + std::to_string(banned_tg) + " fault test 2>&1");
    BOOST_TEST(ban.status == 0, ban.output);
    BOOST_TEST(ban.output.find("is banned") != std::string::npos, ban.output);
    auto confirmed = confirm(payment);
    BOOST_TEST(confirmed.status == 200, confirmed.body);
    BOOST_TEST(testing::wait_for([&] {
        return pg.exec("SELECT state FROM payment_records WHERE id = $1", {payment.record}).get(0, 0) == "approved";
    }, 20));
    BOOST_TEST(pg.exec("SELECT tier FROM users WHERE id = $1", {buyer_id}).get(0, 0) == "prime");
    BOOST_TEST(pg.exec("SELECT count(*) FROM subscriptions WHERE user_id = $1 AND status = 'active'", {buyer_id}).get_int(0, 0) == 1);
    BOOST_TEST(pg.exec("SELECT banned_at IS NOT NULL FROM users WHERE id = $1", {banned_id}).get_bool(0, 0));
    BOOST_TEST(pg.exec("SELECT count(*) FROM subscriptions WHERE user_id = $1", {banned_id}).get_int(0, 0) == 0);
    // The guard can't know yet: both changes wait in authz_changes, written by the users trigger.
    const std::string pending = "SELECT count(DISTINCT user_id) FROM authz_changes WHERE user_id IN ($1, $2)";
    BOOST_TEST(pg.exec(pending, {buyer_id, banned_id}).get_int(0, 0) == 2);
    for (const auto& cookie : {buyer, banned}) BOOST_TEST(sent_to_login(hub(cookie)));

    const auto back = std::chrono::steady_clock::now();
    BOOST_TEST_REQUIRE(s.sh("redis_start \"$STACK_RUN_DIR\" \"$STACK_REDIS_PORT\" persist").status == 0);
    testing::HttpResult buyer_page;
    BOOST_TEST(testing::wait_for([&] {
        buyer_page = hub(buyer);
        return buyer_page.status == 200 && buyer_page.header("x-user-tier").value_or("") == "prime" && sent_to_login(hub(banned));
    }, 45), buyer_page.status << " " << buyer_page.header("x-user-tier").value_or("-"));
    const double caught_up = seconds_since(back);
    BOOST_TEST(testing::wait_for([&] { return pg.exec(pending, {buyer_id, banned_id}).get_int(0, 0) == 0; }));
    BOOST_TEST(testing::http("GET", s.url("/api/webapp/auth/me"), {}, {"Cookie: " + banned}).status == 401);
    BOOST_TEST(testing::http("GET", s.url("/api/webapp/auth/me"), {}, {"Cookie: " + buyer}).status == 200);
    BOOST_TEST_MESSAGE("Redis back: the guard showed the ban and the PRIME grant after " << caught_up << " s");
}

namespace {

// Slow clients (python, in the background): `headers` connections that send their request's
// header one byte a second and never finish it, and `bodies` PATCHes (to the profile function,
// Content-Length 1000) that send their body one byte a second for `trickle` seconds, then stop.
// Each is tagged with the request id `<id>-header-<n>` or `<id>-body-<n>` and writes one JSON line
// to `out` when nginx answers or hangs up: its kind and id, the seconds since its first and its
// last byte, what it received.
const char* slow_clients_py = R"py(
import json, socket, sys, threading, time
port, out, trickle, headers, bodies, tag = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
lock = threading.Lock()
def record(kind, rid, start, last, data):
    line = json.dumps({"kind": kind, "id": rid, "after_first_byte": time.time() - start, "after_last_byte": time.time() - last,
                       "received": data.decode(errors='replace')})
    with lock:
        with open(out, 'a') as f:
            f.write(line + '\n')
def slow_header(i):
    rid = '%s-header-%d' % (tag, i)
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(b'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: %s\r\nX-Slow: ' % rid.encode())
    start = last = time.time()
    s.settimeout(1.0)
    data = b''
    while time.time() - start < 90:
        try:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            continue
        except socket.timeout:
            pass
        try:
            s.send(b'a')
            last = time.time()
        except OSError:
            break
    record('header', rid, start, last, data)
def slow_body(i):
    rid = '%s-body-%d' % (tag, i)
    s = socket.create_connection(('127.0.0.1', port))
    s.sendall(b'PATCH /api/webapp/profile HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 198.51.100.%d\r\n'
              b'X-Request-Id: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n' % (20 + i, rid.encode()))
    start = last = time.time()
    while time.time() - start < trickle:
        s.send(b'x')
        last = time.time()
        time.sleep(1)
    data = b''
    s.settimeout(90)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    record('body', rid, start, last, data)
threads = [threading.Thread(target=slow_header, args=(i,)) for i in range(headers)]
threads += [threading.Thread(target=slow_body, args=(i,)) for i in range(bodies)]
for t in threads:
    t.start()
with open(out + '.started', 'w') as f:
    f.write('started\n')
for t in threads:
    t.join()
)py";

}  // namespace

// ------------------------------------------------------------------------------------------------
// Slow clients (a header, and bodies sent one byte a second to the profile function) and a
// flood of logins from one address don't starve anyone: meanwhile /health, another function
// and the very function the slow bodies are for answer within a second, and a login from
// another address goes through. nginx buffers a body before the function sees it, its
// per-address limits answer the flood, and client_header_timeout / client_body_timeout
// (nginx/site.conf.in, 10 s; nginx's default is a minute; uploads get a minute, which
// serial_stack checks in the config) end the slow clients: nginx logs a 408 and hangs up (for its
// own timeouts it sends no answer, whatever error_page says).
BOOST_AUTO_TEST_CASE(slow_clients_and_a_login_flood_starve_no_one) {
    Stack& s = stack();
    const std::string dir = testing::temp_dir();
    const int seconds = testing::short_or_full(6, 30), headers = 2, bodies = 4;  // more bodies than the pool's 2 workers
    const std::string tag = "slow" + std::to_string(testing::unique_number());
    BOOST_TEST_REQUIRE(s.sh("cat >'" + dir + "/slow.py' <<'PY'" + slow_clients_py + "PY\n"
                            "/usr/bin/python3 '" + dir + "/slow.py' " + std::to_string(s.port) + " '" + dir + "/slow.out' " +
                            std::to_string(seconds) + " " + std::to_string(headers) + " " + std::to_string(bodies) + " " + tag +
                            " </dev/null >'" + dir + "/slow.log' 2>&1 &").status == 0);
    BOOST_TEST_REQUIRE(testing::wait_for([&] { return s.sh("test -f '" + dir + "/slow.out.started'").status == 0; }));
    // The flood: logins (malformed ones, as a bot would) from one address, 8 at a time, for `seconds`.
    const std::string flood = "end=$((SECONDS + " + std::to_string(seconds) + "))\n"
                              "while [ $SECONDS -lt $end ]; do seq 100 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\\n' -X POST "
                              "-H 'Content-Type: application/json' -H 'X-Forwarded-For: 198.51.100.77' --data 'not json' '" +
                              s.url("/api/webapp/auth/telegram") + "'; done >'" + dir + "/flood.out'\n";
    BOOST_TEST_REQUIRE(s.sh("( " + flood + " ) </dev/null >/dev/null 2>&1 & echo $! >'" + dir + "/flood.pid'").status == 0);
    const auto flooding = [&] { return s.sh("kill -0 $(cat '" + dir + "/flood.pid') 2>/dev/null").status == 0; };

    // Meanwhile, a few requests a second to three functions (from addresses of their own: the
    // probes stay within every limit), and a login from elsewhere.
    struct Probe {
        std::string path, from;
        long expected;
        int answered = 0;
        double slowest = 0;
    };
    std::vector<Probe> probes = {{"/health", "198.51.100.60", 200},
                                 {"/api/payment/plans", "198.51.100.61", 200},
                                 {"/api/webapp/profile", "198.51.100.62", 401}};  // the slow bodies' function
    const auto t0 = std::chrono::steady_clock::now();
    double login_seconds = -1;
    while (flooding() || seconds_since(t0) < seconds) {
        for (auto& p : probes) {
            auto r = testing::http("GET", s.url(p.path), {}, {"X-Forwarded-For: " + p.from});
            BOOST_TEST(r.status == p.expected, p.path << " " << r.status << " " << r.body);
            ++p.answered;
            p.slowest = std::max(p.slowest, r.seconds);
        }
        if (login_seconds < 0 && seconds_since(t0) > 1.0) {
            const auto t = std::chrono::steady_clock::now();
            s.log_in(fresh_telegram_id(), "Elsewhere", {"X-Forwarded-For: 198.51.100.90"});
            login_seconds = seconds_since(t);
        }
        usleep(200000);  // the probes' pace, well below the limits
    }
    for (const auto& p : probes) {
        BOOST_TEST(p.answered >= seconds * 2, p.path << " answered " << p.answered << " times");
        BOOST_TEST(p.slowest < 1.0, p.path << " slowest " << p.slowest << " s");
        BOOST_TEST_MESSAGE(p.path << ": " << p.answered << " answers during the flood, slowest " << p.slowest << " s");
    }
    BOOST_TEST((login_seconds >= 0 && login_seconds < 2.0), "a login from another address took " << login_seconds << " s");

    std::map<std::string, int> flood_statuses;
    for (const auto& status : lines_of(testing::shell("cat '" + dir + "/flood.out'").output)) ++flood_statuses[status];
    std::string summary;
    for (const auto& [status, n] : flood_statuses) summary += status + ": " + std::to_string(n) + "  ";
    BOOST_TEST(flood_statuses["429"] > 0, summary);
    for (const auto& [status, n] : flood_statuses) BOOST_TEST((status == "400" || status == "429"), summary);
    BOOST_TEST_MESSAGE("flood from one address: " << summary);

    // Every slow client is cut off by nginx's timeouts: the header 10 s after its first byte (it
    // never ended), each stalled body 10 s after its last byte; each is a 408 in the access log.
    BOOST_TEST_REQUIRE(testing::wait_for([&] {
        return lines_of(testing::shell("cat '" + dir + "/slow.out' 2>/dev/null").output).size() == static_cast<size_t>(headers + bodies);
    }, 60));
    int timed_out_headers = 0, timed_out_bodies = 0;
    for (const auto& line : lines_of(testing::shell("cat '" + dir + "/slow.out'").output)) {
        const auto r = pnptv::Json::parse(line);
        const bool header = r["kind"] == "header";
        const double after = header ? r["after_first_byte"] : r["after_last_byte"];
        BOOST_TEST((after > 9.5 && after < 13.0), line);
        BOOST_TEST(r["received"] == "", line);  // hung up on, no answer
        const std::string logged = s.sh("grep -F '\"request_id\":\"" + r["id"].get<std::string>() + "\"' \"$STACK_RUN_DIR/nginx/access.log\" || true").output;
        BOOST_TEST(logged.find("\"status\":408,") != std::string::npos, logged);
        (header ? timed_out_headers : timed_out_bodies) += 1;
        BOOST_TEST_MESSAGE("slow " << r["kind"].get<std::string>() << ": cut off " << after << " s after its "
                                   << (header ? "first" : "last") << " byte");
    }
    BOOST_TEST(timed_out_headers == headers);
    BOOST_TEST(timed_out_bodies == bodies);
}

namespace {

// The stack's database on a small tmpfs of its own, which fill() fills to the last byte and
// free_space() empties again: relation files can't grow (SQLSTATE 53100) while the WAL, on the
// main disk, still can. PostgreSQL is stopped while the database's folder moves over, and again
// when the destructor puts everything back. Root only (mount).
struct FullDisk {
    const Stack& s;
    std::string oid;
    bool ready = false;
    std::string output;  // what setting it up said
    std::string vars() const {
        return "home=$(pg_home \"$STACK_RUN_DIR\"); data=$home/data; small=$home/small; db=" + oid + "\n";
    }
    explicit FullDisk(const Stack& stack) : s(stack), oid(stack.sql("SELECT oid FROM pg_database WHERE datname = current_database()")) {
        auto r = s.sh(vars() +
                      "pg_stop \"$STACK_RUN_DIR\"\n"
                      "mkdir -p \"$small\"\n"
                      "size=$(( $(du -sk \"$data/base/$db\" | cut -f1) + 16384 ))k\n"
                      "mount -t tmpfs -o size=$size,mode=0700,uid=$(id -u postgres),gid=$(id -g postgres) pnptv-full \"$small\"\n"
                      "cp -a \"$data/base/$db\" \"$small/$db\" && rm -rf \"$data/base/$db\" && ln -s \"$small/$db\" \"$data/base/$db\"\n"
                      "chown -h postgres: \"$data/base/$db\"\n"
                      "pg_start \"$STACK_RUN_DIR\" \"$STACK_PG_PORT\"");
        ready = r.status == 0;
        output = r.output;
    }
    void fill() const {
        auto r = s.sh(vars() + "dd if=/dev/zero of=\"$small/filler\" bs=64k 2>/dev/null || true\n"
                               "df --output=avail -k \"$small\" | tail -n 1 | tr -d ' '");
        BOOST_TEST_REQUIRE(testing::last_line(r.output) == "0", r.output);
    }
    void free_space() const { BOOST_TEST_REQUIRE(s.sh(vars() + "rm -f \"$small/filler\"").status == 0); }
    // Whatever part of the set-up happened is undone, PostgreSQL running again on the main disk.
    ~FullDisk() {
        auto r = s.sh(vars() +
                      "rm -f \"$small/filler\"\n"
                      "pg_stop \"$STACK_RUN_DIR\"\n"
                      "if [ -L \"$data/base/$db\" ]; then rm \"$data/base/$db\" && cp -a \"$small/$db\" \"$data/base/$db\"; fi\n"
                      "if mountpoint -q \"$small\"; then umount \"$small\"; fi\n"
                      "rmdir \"$small\" 2>/dev/null || true\n"
                      "pg_start \"$STACK_RUN_DIR\" \"$STACK_PG_PORT\"");
        BOOST_TEST(r.status == 0, r.output);
    }
};

// A new person's login (a users row written), from an address of its own (the limits per address).
testing::HttpResult first_login(long long telegram_id, int from) {
    return testing::widget_login(stack().url(""), telegram_id, "Full", {"X-Forwarded-For: 203.0.113." + std::to_string(from % 250 + 1)});
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// The disk under PostgreSQL's tables full: writes fail inside PostgreSQL (SQLSTATE 53100,
// disk_full) — a write request answers 503 with the JSON error and Retry-After, as for a lost
// database (it used to be a 500), never a 500; once space is freed, writes succeed again.
boost::test_tools::assertion_result running_as_root(boost::unit_test::test_unit_id) {
    boost::test_tools::assertion_result root(geteuid() == 0);
    root.message() << "mounting the small filesystem takes root";
    return root;
}

BOOST_AUTO_TEST_CASE(a_full_disk_answers_503_and_writes_resume_once_space_is_freed, *boost::unit_test::precondition(running_as_root)) {
    Stack& s = stack();
    FullDisk disk(s);
    BOOST_TEST_REQUIRE(disk.ready, disk.output);
    BOOST_TEST_REQUIRE(first_login(fresh_telegram_id(), 0).status == 200);
    disk.fill();
    // Logins until the users table needs a page it can't have (each fills a page a little more).
    testing::HttpResult refused;
    int accepted = 0;
    for (int i = 1; i <= 300 && refused.status == 0; ++i) {
        auto r = first_login(fresh_telegram_id(), i);
        if (r.status == 200) ++accepted;
        else refused = r;
    }
    BOOST_TEST_REQUIRE(refused.status != 0, "every login succeeded on a full disk");
    BOOST_TEST(refused.status == 503, refused.status << " " << refused.body);
    BOOST_TEST(error_code(refused) == "database_unavailable", refused.body);
    BOOST_TEST(refused.header("retry-after").value_or("") == "5");
    BOOST_TEST(refused.header("content-type").value_or("").rfind("application/json", 0) == 0u);
    auto again = first_login(fresh_telegram_id(), 251);
    BOOST_TEST(again.status == 503, again.body);  // still full: still 503, the worker fine
    const std::string log = s.sh("grep -c '\"sqlstate\":\"53100\"' \"$STACK_RUN_DIR/logs/auth.log\" || true").output;
    BOOST_TEST(std::stoi(log) >= 1, log);  // the cause is in the function's log

    disk.free_space();
    BOOST_TEST(first_login(fresh_telegram_id(), 252).status == 200);
    BOOST_TEST_MESSAGE("disk full: " << accepted << " logins fit before the first 503");
}
