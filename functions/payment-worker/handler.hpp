// payment-worker — the daemon that turns what we hear about payments into what ePayco says:
// it verifies every due ePayco reference (many at a time, woken by NOTIFY), re-checks open
// ones (reconciliation), ends expired subscriptions and sends the reminders. Several may run
// at once (SKIP LOCKED claims, idempotent jobs). It never waits behind Telegram or e-mail.
#pragma once

#include "payment_references.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace payment_worker {

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::VerifierSettings verifier;
    int reconcile_after_minutes = 15;  // EPAYCO_RECONCILE_AFTER_MINUTES
    int abandon_after_hours = 24;      // PAYMENT_ABANDON_HOURS: a pending record ePayco never heard of is closed after
    int jobs_interval_seconds = 60;    // JOBS_INTERVAL_SECONDS
    static Settings read(pnptv::SettingsReader& r);
};

// One round of the periodic jobs (reconciliation, expiry, reminders); logs what each did.
void run_jobs(const Settings& settings);

const pnptv::Daemon& daemon();

}  // namespace payment_worker
