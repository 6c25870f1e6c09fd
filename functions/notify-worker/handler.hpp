// notify-worker — the daemon that drains the outbox: Telegram messages, emails and realtime
// events for browsers (nchan), delivered at least once, with retries, backoff and Telegram's rate limits. Several may run at once.
#pragma once

#include <string>

#include <chrono>
#include <unordered_map>

#include "http.hpp"
#include "pg.hpp"
#include "realtime.hpp"
#include "runtime.hpp"
#include "smtp.hpp"
#include "telegram_bot.hpp"

namespace notify_worker {

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::BotApiSettings bot;
    pnptv::SmtpSettings smtp;
    pnptv::RealtimeSettings realtime;
    int batch = 20;               // OUTBOX_BATCH: rows claimed at a time
    int claim_seconds = 60;       // OUTBOX_CLAIM_SECONDS: how long a claim holds a row
    long retry_base_seconds = 5;  // OUTBOX_RETRY_BASE_SECONDS
    int max_attempts = 8;         // OUTBOX_MAX_ATTEMPTS: then dead, kept for admins
    int retention_days = 30;      // OUTBOX_RETENTION_DAYS: delivered rows are deleted after
    int jobs_interval_seconds = 60;  // JOBS_INTERVAL_SECONDS
    std::string pause_at;         // NOTIFY_WORKER_PAUSE_AT: a test hook, unset in production
    static Settings read(pnptv::SettingsReader& r);
};

// Telegram's limits (docs/protocols.md §4): about 30 messages a second overall and one a second
// per chat, for the bot as a whole: only one worker at a time sends Telegram messages (the
// holder of an advisory lock), so its pacer is the bot's. reserve() books the next send to
// `chat_id` when it can go within the overall gap and says how long to wait before it; when the
// chat itself isn't due for longer, it books nothing and says when the chat will be due (the
// message goes back to the queue until then).
class TelegramPacer {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds overall_gap{34};
    static constexpr std::chrono::milliseconds per_chat_gap{1000};
    // Broadcasts (bulk): at most 25 a second, with room for the network's jitter (25 take 1.05 s),
    // leaving the rest of Telegram's 30 for everything else.
    static constexpr std::chrono::milliseconds bulk_gap{42};
    struct Slot {
        bool booked;
        std::chrono::milliseconds wait;  // booked: before sending (≤ overall_gap); else: until the chat is due
    };
    Slot reserve(long long chat_id, Clock::time_point now, bool bulk = false);
    // A send another process made (the previous sender's, read from the outbox when this one
    // takes over): the gaps count from it as from one of ours.
    void remember(long long chat_id, Clock::time_point sent_at, bool bulk);

private:
    Clock::time_point last_any_{};
    Clock::time_point last_bulk_{};
    std::unordered_map<long long, Clock::time_point> last_per_chat_;
};

// What became of one attempt at one row.
struct Delivery {
    enum Kind { delivered, retry, dead, blocked } kind = retry;
    long retry_after_seconds = 0;  // for retry; 0 = backoff
    std::string error;
};

struct OutboxRow {
    long long id = 0;
    std::string kind;  // telegram | email | realtime
    long long user_id = 0;
    pnptv::Json payload;
    int attempts = 0;  // including this one
    bool recipient_unreachable = false;
    bool bulk = false;  // a broadcast's message: paced apart
};

Delivery deliver(const Settings& settings, const OutboxRow& row);
// Seconds before attempt n+1: exponential from OUTBOX_RETRY_BASE_SECONDS, capped at an hour,
// with ±25% jitter so a crowd of failures doesn't come back in lockstep.
long backoff_seconds(const Settings& settings, int attempts);
// Claims, sends and records one batch (Telegram rows only while this process is the sender);
// returns how many it sent.
int drain_once(const Settings& settings);

const pnptv::Daemon& daemon();

}  // namespace notify_worker
