#include "handler.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "authz.hpp"
#include "log.hpp"
#include "pg.hpp"
#include "redis.hpp"

namespace authz_worker {

using namespace pnptv;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* claim_sql = R"sql(
UPDATE authz_changes c SET claimed_until = now() + interval '30 seconds', attempts = c.attempts + 1
  FROM (SELECT user_id FROM authz_changes WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
 WHERE c.user_id = due.user_id
RETURNING c.user_id, c.version, c.attempts
)sql";
// Only the version that was applied is done; a change that arrived meanwhile stays, due now.
constexpr const char* done_sql = R"sql(
WITH applied AS (
    DELETE FROM authz_changes c USING unnest($1::bigint[], $2::bigint[]) AS a(user_id, version)
     WHERE c.user_id = a.user_id AND c.version = a.version RETURNING c.user_id)
UPDATE authz_changes SET claimed_until = NULL
 WHERE user_id = ANY($1::bigint[]) AND user_id NOT IN (SELECT user_id FROM applied)
)sql";
// Redis didn't answer: the rows stay due (it is Redis that is down, not these rows); the worker
// itself backs off before trying again.
constexpr const char* release_sql =
    "UPDATE authz_changes SET claimed_until = NULL, last_error = $2 WHERE user_id = ANY($1::bigint[])";
constexpr const char* next_due_sql =
    "SELECT EXTRACT(EPOCH FROM min(GREATEST(due_at, COALESCE(claimed_until, due_at))) - now()) FROM authz_changes";

std::string pg_array(const std::vector<long long>& values) {
    std::string out = "{";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
    return out + "}";
}

// The records among `records` that Redis does not hold as they are (one round trip).
std::vector<AuthzRecord> differing(const std::vector<AuthzRecord>& records) {
    std::vector<std::vector<std::string>> reads;
    for (const auto& a : records) reads.push_back({"HMGET", authz_key(a.user_id), "banned", "role", "tier"});
    auto replies = redis().pipeline(reads);
    std::vector<AuthzRecord> out;
    for (size_t i = 0; i < records.size(); ++i) {
        const AuthzRecord& a = records[i];
        const RedisReply& r = replies[i];
        bool held = r.element(0).has_value();
        bool same = a.exists ? held && r.element(0) == std::string(a.banned ? "1" : "0") && r.element(1) == a.role &&
                                   r.element(2) == a.tier
                             : !held;
        if (!same) out.push_back(a);
    }
    return out;
}

int fix(const std::vector<AuthzRecord>& records) {
    auto wrong = differing(records);
    write_authz(wrong);
    if (!wrong.empty()) log_event(LogLevel::warn, "authz_repaired", {{"records", static_cast<long long>(wrong.size())}});
    return static_cast<int>(wrong.size());
}

}  // namespace

Settings Settings::read(SettingsReader& r) {
    Settings s{DatabaseSettings::read(r), RedisSettings::read(r)};
    s.repair_interval_seconds = static_cast<int>(r.integer("AUTHZ_REPAIR_INTERVAL_SECONDS", 300, 1, 86400));
    return s;
}

int apply_due_changes(const Settings& s) {
    auto claimed = db().exec(claim_sql, {s.batch});
    if (claimed.rows() == 0) return 0;
    std::vector<long long> users, versions;
    for (int i = 0; i < claimed.rows(); ++i) {
        users.push_back(claimed.get_int(i, "user_id"));
        versions.push_back(claimed.get_int(i, "version"));
    }
    try {
        write_authz(load_authz(users));
    } catch (const RedisUnavailable&) {
        db().exec(release_sql, {pg_array(users), "Redis unavailable"});
        return -1;
    }
    db().exec(done_sql, {pg_array(users), pg_array(versions)});
    return claimed.rows();
}

long long repair_step(const Settings& s, long long cursor, int& repaired) {
    auto batch = db().exec("SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2", {cursor, s.repair_batch});
    std::vector<long long> ids;
    for (int i = 0; i < batch.rows(); ++i) ids.push_back(batch.get_int(i, 0));
    if (ids.empty()) return 0;
    // Only missing records here: a full comparison of every user is the recent pass's job.
    std::vector<std::vector<std::string>> exists;
    for (long long id : ids) exists.push_back({"EXISTS", authz_key(id)});
    auto replies = redis().pipeline(exists);
    std::vector<long long> missing;
    for (size_t i = 0; i < ids.size(); ++i)
        if (replies[i].integer() == 0) missing.push_back(ids[i]);
    if (!missing.empty()) repaired += fix(load_authz(missing));
    return static_cast<int>(ids.size()) < s.repair_batch ? 0 : ids.back();
}

int repair_recent(const Settings& s) {
    auto recent = db().exec("SELECT id FROM users WHERE updated_at > now() - make_interval(mins => $1) ORDER BY id LIMIT 10000",
                            {s.recent_minutes});
    std::vector<long long> ids;
    for (int i = 0; i < recent.rows(); ++i) ids.push_back(recent.get_int(i, 0));
    return ids.empty() ? 0 : fix(load_authz(ids));
}

namespace {

void pause(int ms) {
    for (int waited = 0; waited < ms && !stop_requested(); waited += 50) usleep(50000);
}

int main_loop(const Settings& s) {
    Pg listener(s.database.url);
    bool listening = false;
    long long repair_cursor = 0;
    int redis_failures = 0;
    Clock::time_point pass_started{}, last_recent{};
    // Redis down: try again after 250 ms, doubling up to retry_cap_seconds, for as long as it takes.
    auto redis_down = [&] {
        ++redis_failures;
        pause(static_cast<int>(std::min<long>(s.retry_cap_seconds * 1000, 250L << std::min(redis_failures, 16))));
    };
    while (!stop_requested()) {
        try {
            if (!listening) {
                listener.listen("authz_changes");
                listening = true;
            }
            int applied = apply_due_changes(s);
            if (applied < 0) {
                redis_down();
                continue;
            }
            redis_failures = 0;
            if (applied > 0) continue;
            // The repair pass, one batch per round while a pass is under way.
            int repaired = 0;
            auto now = Clock::now();
            if (repair_cursor != 0 || pass_started == Clock::time_point{} ||
                now - pass_started >= std::chrono::seconds(s.repair_interval_seconds)) {
                if (repair_cursor == 0) pass_started = now;
                repair_cursor = repair_step(s, repair_cursor, repaired);
            }
            if (now - last_recent >= std::chrono::seconds(60)) {
                repaired += repair_recent(s);
                last_recent = now;
            }
            if (repair_cursor != 0) continue;
            // Sleep until the next change is due, the next repair pass, or a NOTIFY.
            auto next = db().exec(next_due_sql);
            double seconds = std::chrono::duration<double>(pass_started + std::chrono::seconds(s.repair_interval_seconds) -
                                                           Clock::now()).count();
            if (!next.is_null(0, 0)) seconds = std::min(seconds, std::stod(next.get(0, 0)));
            listener.wait_for_notification(static_cast<int>(std::clamp(seconds * 1000.0, 20.0, 10000.0)));
        } catch (const PgUnavailable&) {
            listening = false;
            listener.disconnect();
            pause(2000);
        } catch (const RedisUnavailable&) {
            redis_down();  // the repair pass found Redis down
        } catch (const std::exception& e) {
            log_event(LogLevel::error, "worker_error", {{"error", e.what()}});
            pause(2000);
        }
    }
    return 0;
}

}  // namespace

const Daemon& daemon() {
    static const Daemon d = make_daemon("authz-worker", main_loop);
    return d;
}

}  // namespace authz_worker
