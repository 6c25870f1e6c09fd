// notify-worker — the daemon that drains the outbox: Telegram messages and emails, delivered
// at least once, with retries, backoff and Telegram's rate limits. Several may run at once.
#pragma once

#include <string>

#include "http.hpp"
#include "runtime.hpp"

namespace notify_worker {

// What became of one attempt at one row.
struct Delivery {
    enum Kind { delivered, retry, dead, blocked } kind = retry;
    long retry_after_seconds = 0;  // for retry; 0 = backoff
    std::string error;
};

struct OutboxRow {
    long long id = 0;
    std::string kind;  // telegram | email
    long long user_id = 0;
    pnptv::Json payload;
    int attempts = 0;  // including this one
    bool recipient_unreachable = false;
};

Delivery deliver(const OutboxRow& row);
// Seconds before attempt n+1: exponential from OUTBOX_RETRY_BASE_SECONDS, capped at an hour,
// with ±25% jitter so a crowd of failures doesn't come back in lockstep.
long backoff_seconds(int attempts);
// Claims, sends and records one batch; returns how many rows it handled.
int drain_once();

const pnptv::Daemon& daemon();

}  // namespace notify_worker
