#include "handler.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_map>

#include "crypto.hpp"
#include "log.hpp"
#include "backoff.hpp"
#include "outbox.hpp"
#include "pg.hpp"
#include "smtp.hpp"
#include "telegram_bot.hpp"

namespace notify_worker {

using namespace pnptv;
using Clock = std::chrono::steady_clock;

namespace {

// Due rows, oldest first, skipping those another worker holds. A claim lasts claim_seconds:
// a worker that dies mid-batch leaves rows another worker takes over once the claim expires.
constexpr const char* claim_sql = R"sql(
WITH urgent AS (
    SELECT id FROM outbox
     WHERE delivered_at IS NULL AND dead_at IS NULL AND broadcast_id IS NULL AND next_attempt_at <= now()
       AND (claimed_until IS NULL OR claimed_until < now()) AND (kind <> 'telegram' OR $3)
     ORDER BY next_attempt_at, id
     LIMIT $1
       FOR UPDATE SKIP LOCKED),
-- Broadcasts fill what is left of the batch: they never hold back a receipt or a notice.
bulk AS (
    SELECT id FROM outbox
     WHERE delivered_at IS NULL AND dead_at IS NULL AND broadcast_id IS NOT NULL AND next_attempt_at <= now()
       AND (claimed_until IS NULL OR claimed_until < now()) AND $3
     ORDER BY next_attempt_at, id
     LIMIT GREATEST($1 - (SELECT count(*) FROM urgent), 0)
       FOR UPDATE SKIP LOCKED),
due AS (SELECT id FROM urgent UNION ALL SELECT id FROM bulk)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => $2), attempts = o.attempts + 1
  FROM due WHERE o.id = due.id
RETURNING o.id, o.kind, COALESCE(o.user_id, 0) AS user_id, o.payload::text AS payload, o.attempts, o.broadcast_id IS NOT NULL AS bulk,
          COALESCE((SELECT u.unreachable_at IS NOT NULL FROM users u WHERE u.id = o.user_id), false) AS unreachable
)sql";

constexpr const char* delivered_sql =
    "UPDATE outbox SET delivered_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1";
constexpr const char* retry_sql =
    "UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2), claimed_until = NULL, last_error = $3, "
    "attempts = attempts - $4 WHERE id = $1";
constexpr const char* dead_sql = "UPDATE outbox SET dead_at = now(), claimed_until = NULL, last_error = $2 WHERE id = $1";
constexpr const char* release_sql = "UPDATE outbox SET claimed_until = NULL, attempts = attempts - 1 WHERE id = $1";
// A message whose chat isn't due yet goes back, due when the chat is; it used no attempt.
constexpr const char* defer_sql =
    "UPDATE outbox SET claimed_until = NULL, attempts = attempts - 1, "
    "next_attempt_at = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1";
constexpr const char* unreachable_sql = "UPDATE users SET unreachable_at = now() WHERE id = $1 AND unreachable_at IS NULL";
constexpr const char* next_due_sql =
    "SELECT EXTRACT(EPOCH FROM min(GREATEST(next_attempt_at, COALESCE(claimed_until, next_attempt_at)) - now())) "
    "FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND (kind <> 'telegram' OR $1)";

// Telegram's limits are the bot's, whatever number of workers run: one process at a time sends
// Telegram messages, so its pacer is the bot's. The sender is whoever holds this session-level
// advisory lock; it is released when that worker's connection ends (exit, crash, reconnect), and
// another worker takes over at its next pass. The others deliver emails.
constexpr const char* telegram_sender_sql = R"sql(
SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                                                  AND classid = 5263440 AND objid = 1 AND objsubid = 2) THEN 'held'
            WHEN pg_try_advisory_lock(5263440, 1) THEN 'taken'
            ELSE 'other' END AS sender
)sql";

// What the previous sender sent in the last per-chat gap, as far as it recorded it: a new sender
// starts its pacer from these, not from nothing (its first message to a chat the previous one
// just wrote to would go out too soon). A scan of the outbox, once per takeover. The age is from
// the statement's start and the clock is read after it ends, so any error makes sends seem later,
// never earlier: a wait a little too long, never too short. chat_id as telegram_chat() reads it.
constexpr const char* recent_sends_sql = R"sql(
SELECT CASE WHEN jsonb_typeof(payload->'chat_id') = 'number' AND payload->>'chat_id' ~ '^-?[0-9]{1,18}$'
            THEN (payload->>'chat_id')::bigint ELSE 0 END AS chat,
       EXTRACT(EPOCH FROM now() - delivered_at) * 1000 AS ms_ago, broadcast_id IS NOT NULL AS bulk
  FROM outbox
 WHERE kind = 'telegram' AND delivered_at > now() - make_interval(secs => $1::double precision / 1000)
)sql";

// Test hook: NOTIFY_WORKER_PAUSE_AT=<point> holds the worker there (logging "paused") so a test
// can kill it at exactly that point. Unset in production.
void pause_point(const Settings& s, const char* point) {
    if (s.pause_at != point) return;
    log_event(LogLevel::info, "paused", {{"point", point}});
    for (int i = 0; i < 600 && !stop_requested(); ++i) usleep(100000);
}

// This process's pacing of Telegram sends.
TelegramPacer& pacer() {
    static TelegramPacer p;
    return p;
}

// Whether this process is the Telegram sender, taking over when nobody is. A new sender's pacer
// starts from the previous sender's recent sends; if reading them fails, the next pass tries again.
bool telegram_sender() {
    static bool primed = false;
    const std::string sender = db().exec(telegram_sender_sql).get(0, "sender");
    if (sender == "other") return false;
    if (sender == "taken") primed = false;
    if (!primed) {
        auto recent = db().exec(recent_sends_sql, {static_cast<long long>(TelegramPacer::per_chat_gap.count())});
        const auto now = Clock::now();
        for (int i = 0; i < recent.rows(); ++i) {
            const auto ago = std::chrono::milliseconds(static_cast<long long>(std::stod(recent.get(i, "ms_ago"))));
            pacer().remember(recent.get_int(i, "chat"), now - ago, recent.get_bool(i, "bulk"));
        }
        primed = true;
        log_event(LogLevel::info, "telegram_sender", {{"recent_sends", recent.rows()}});
    }
    return true;
}

Delivery deliver_telegram(const Settings& s, const OutboxRow& row) {
    if (row.recipient_unreachable) return {Delivery::dead, 0, "recipient blocked the bot"};
    const Json& p = row.payload;
    if (!p.is_object() || !p.contains("method") || !p["method"].is_string())
        return {Delivery::dead, 0, "payload has no Bot API method"};
    Json params = p;
    params.erase("method");
    BotApiResult r = call_bot_api(s.bot, p["method"].get<std::string>(), params);
    if (r.ok) return {Delivery::delivered, 0, {}};
    std::string error = "Telegram " + std::to_string(r.error_code ? r.error_code : r.http_status) + ": " + r.description;
    if (r.blocked()) return {Delivery::blocked, 0, error};
    if (r.error_code == 429) return {Delivery::retry, std::max(1L, r.retry_after), error};
    // 400s other than rate limits are our fault (bad chat id, bad markup): retrying won't help.
    if (r.error_code >= 400 && r.error_code < 500) return {Delivery::dead, 0, error};
    return {Delivery::retry, 0, r.http_status ? error : "Telegram unreachable: " + r.description};
}

Delivery deliver_email(const Settings& s, const OutboxRow& row) {
    const Json& p = row.payload;
    auto field = [&](const char* k) { return p.is_object() && p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : ""; };
    SmtpResult r = send_email(s.smtp, {field("to"), field("subject"), field("text"), field("html")});
    if (r.ok) return {Delivery::delivered, 0, {}};
    return {r.permanent ? Delivery::dead : Delivery::retry, 0, "SMTP: " + r.error};
}

Delivery deliver_event(const Settings& s, const OutboxRow& row) {
    std::string error;
    if (deliver_realtime(s.realtime, row.payload, error)) return {Delivery::delivered, 0, {}};
    return {Delivery::retry, 0, "nchan: " + error};
}

void record(const Settings& s, const OutboxRow& row, const Delivery& d) {
    switch (d.kind) {
        case Delivery::delivered:
            db().exec(delivered_sql, {row.id});
            break;
        case Delivery::blocked:
            db().transaction([&] {
                if (row.user_id) db().exec(unreachable_sql, {row.user_id});
                db().exec(dead_sql, {row.id, d.error});
            });
            break;
        case Delivery::dead:
            db().exec(dead_sql, {row.id, d.error});
            break;
        case Delivery::retry: {
            bool rate_limited = d.retry_after_seconds > 0;
            if (!rate_limited && row.attempts >= s.max_attempts) {
                db().exec(dead_sql, {row.id, "gave up after " + std::to_string(row.attempts) + " attempts; last: " + d.error});
                break;
            }
            long after = rate_limited ? d.retry_after_seconds : backoff_seconds(s, row.attempts);
            // A 429 is Telegram pacing us, not a failure of this row: it doesn't use up an attempt.
            db().exec(retry_sql, {row.id, static_cast<long long>(after), d.error.substr(0, 2000), rate_limited ? 1 : 0});
            break;
        }
    }
    LogLevel level = d.kind == Delivery::delivered ? LogLevel::info : LogLevel::warn;
    log_event(level, "outbox_attempt",
              {{"outbox_id", row.id}, {"kind", row.kind}, {"attempt", row.attempts},
               {"result", d.kind == Delivery::delivered ? "delivered" : d.kind == Delivery::retry ? "retry"
                          : d.kind == Delivery::blocked ? "blocked" : "dead"},
               {"error", d.error}});
}

}  // namespace

TelegramPacer::Slot TelegramPacer::reserve(long long chat_id, Clock::time_point now, bool bulk) {
    using std::chrono::duration_cast, std::chrono::milliseconds;
    auto previous = last_per_chat_.find(chat_id);
    const auto chat_due = previous == last_per_chat_.end() ? now : previous->second + per_chat_gap;
    if (chat_due > now + overall_gap) return {false, duration_cast<milliseconds>(chat_due - now)};
    const auto start = std::max({now, last_any_ + overall_gap, chat_due, bulk ? last_bulk_ + bulk_gap : now});
    last_any_ = start;
    if (bulk) last_bulk_ = start;
    if (last_per_chat_.size() > 10000) last_per_chat_.clear();  // chats seen long ago no longer constrain
    last_per_chat_[chat_id] = start;
    return {true, duration_cast<milliseconds>(start - now)};
}

void TelegramPacer::remember(long long chat_id, Clock::time_point sent_at, bool bulk) {
    last_any_ = std::max(last_any_, sent_at);
    if (bulk) last_bulk_ = std::max(last_bulk_, sent_at);
    auto& last = last_per_chat_[chat_id];
    last = std::max(last, sent_at);
}

Settings Settings::read(SettingsReader& r) {
    Settings s{DatabaseSettings::read(r), BotApiSettings::read(r), SmtpSettings::read(r), RealtimeSettings::read(r)};
    s.batch = static_cast<int>(r.integer("OUTBOX_BATCH", 20, 1, 1000));
    s.claim_seconds = static_cast<int>(r.integer("OUTBOX_CLAIM_SECONDS", 60, 5, 3600));
    s.retry_base_seconds = r.integer("OUTBOX_RETRY_BASE_SECONDS", 5, 1, 3600);
    s.max_attempts = static_cast<int>(r.integer("OUTBOX_MAX_ATTEMPTS", 8, 1, 100));
    s.retention_days = static_cast<int>(r.integer("OUTBOX_RETENTION_DAYS", 30, 1, 3650));
    s.jobs_interval_seconds = read_jobs_interval_seconds(r);
    s.pause_at = r.text("NOTIFY_WORKER_PAUSE_AT", "");
    return s;
}

long backoff_seconds(const Settings& s, int attempts) { return retry_delay_seconds(attempts, s.retry_base_seconds, 3600); }

Delivery deliver(const Settings& s, const OutboxRow& row) {
    if (row.kind == "telegram") return deliver_telegram(s, row);
    if (row.kind == "email") return deliver_email(s, row);
    if (row.kind == "realtime") return deliver_event(s, row);
    return {Delivery::dead, 0, "unknown outbox kind " + row.kind};
}

// The chat a Bot API call goes to (0 when it names none).
long long telegram_chat(const Json& payload) {
    return payload.is_object() && payload.contains("chat_id") && payload["chat_id"].is_number_integer()
        ? payload["chat_id"].get<long long>() : 0;
}

int drain_once(const Settings& s) {
    auto claimed = db().exec(claim_sql, {s.batch, s.claim_seconds, telegram_sender()});
    std::vector<OutboxRow> rows;
    for (int i = 0; i < claimed.rows(); ++i) {
        OutboxRow row;
        row.id = claimed.get_int(i, "id");
        row.kind = claimed.get(i, "kind");
        row.user_id = claimed.get_int(i, "user_id");
        row.payload = Json::parse(claimed.get(i, "payload"), nullptr, false);
        row.attempts = static_cast<int>(claimed.get_int(i, "attempts"));
        row.recipient_unreachable = claimed.get_bool(i, "unreachable");
        row.bulk = claimed.get_bool(i, "bulk");
        rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    if (!rows.empty()) pause_point(s, "after_claim");
    size_t done = 0;
    int sent = 0;
    for (; done < rows.size() && !stop_requested(); ++done) {
        if (rows[done].kind == "telegram" && !rows[done].recipient_unreachable) {
            // Never waits longer than a gap (34 ms, a broadcast's 42 ms): a chat that isn't due goes
            // back to the queue, so SIGTERM and the claim's expiry never wait on a busy chat.
            auto slot = pacer().reserve(telegram_chat(rows[done].payload), Clock::now(), rows[done].bulk);
            if (!slot.booked) {
                db().exec(defer_sql, {rows[done].id, static_cast<long long>(slot.wait.count())});
                continue;
            }
            std::this_thread::sleep_for(slot.wait);
        }
        ++sent;
        Delivery d = deliver(s, rows[done]);
        if (d.kind == Delivery::delivered) pause_point(s, "after_send");
        record(s, rows[done], d);  // the send in flight is always recorded, SIGTERM or not
    }
    // Stopping mid-batch: hand back what wasn't tried, at once, for the next worker.
    for (size_t i = done; i < rows.size(); ++i) db().exec(release_sql, {rows[i].id});
    return sent;
}

namespace {

// Delivered rows are pruned once per JOBS_INTERVAL_SECONDS (idempotent; any worker may do it).
void prune_now_and_then(const Settings& s) {
    static Clock::time_point last{};
    const auto every = std::chrono::seconds(s.jobs_interval_seconds);
    if (last != Clock::time_point{} && Clock::now() - last < every) return;
    last = Clock::now();
    try {
        if (int n = prune_delivered_outbox(s.retention_days))
            log_event(LogLevel::info, "job", {{"job", "prune_delivered_outbox"}, {"count", n}});
    } catch (const std::exception& e) {
        log_event(LogLevel::warn, "job_failed", {{"job", "prune_delivered_outbox"}, {"error", e.what()}});
    }
}

int main_loop(const Settings& s) {
    Pg listener(s.database.url);
    bool listening = false;
    while (!stop_requested()) {
        try {
            prune_now_and_then(s);
            if (!listening) {
                listener.listen("outbox");
                listening = true;
            }
            if (drain_once(s) > 0) continue;
            // Nothing due: sleep until the next row is due or a NOTIFY says a new one arrived.
            auto next = db().exec(next_due_sql, {telegram_sender()});
            double seconds = next.is_null(0, 0) ? 30.0 : std::stod(next.get(0, 0));
            int wait_ms = static_cast<int>(std::clamp(seconds * 1000.0, 50.0, 10000.0));
            listener.wait_for_notification(wait_ms);
        } catch (const PgUnavailable&) {
            listening = false;
            listener.disconnect();
            for (int i = 0; i < 20 && !stop_requested(); ++i) usleep(100000);  // 2 s, then try again
        } catch (const std::exception& e) {
            log_event(LogLevel::error, "worker_error", {{"error", e.what()}});
            for (int i = 0; i < 20 && !stop_requested(); ++i) usleep(100000);
        }
    }
    return 0;
}

}  // namespace

const Daemon& daemon() {
    static const Daemon d = make_daemon("notify-worker", main_loop);
    return d;
}

}  // namespace notify_worker
