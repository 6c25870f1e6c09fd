// authz-worker — keeps the guard's Redis records (`user:<id>:authz`) equal to PostgreSQL.
//
// It applies the intents the users trigger writes (authz_changes), woken by NOTIFY, in batches
// (one query for the rows, one Redis round trip for the writes); while Redis is down it tries
// again with a capped backoff, for as long as it takes, and catches up within a round of its
// return. A repair pass walks every user in
// batches and rebuilds any record that is missing (Redis restored from an old snapshot, a key
// deleted by hand), and compares the records of users changed lately. Several may run at once.
// It never waits behind Telegram, e-mail or ePayco.
#pragma once

#include "pg.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace authz_worker {

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    int batch = 500;                  // changes applied per round
    long retry_cap_seconds = 30;      // backoff while Redis is down, capped here
    int repair_batch = 1000;          // users checked per repair step
    int repair_interval_seconds = 300;  // a full pass over all users at most this often
    int recent_minutes = 10;          // users changed this recently are compared field by field
    static Settings read(pnptv::SettingsReader& r);  // AUTHZ_REPAIR_INTERVAL_SECONDS; the rest are fixed
};

// Applies due changes; returns how many were applied, or -1 when Redis did not answer (they are
// rescheduled with backoff).
int apply_due_changes(const Settings& s);

// One step of the repair pass: the next `repair_batch` users after `cursor` (0: from the start);
// returns the new cursor (0 when the pass is complete) and counts what it fixed in `repaired`.
long long repair_step(const Settings& s, long long cursor, int& repaired);
// Compares the records of users changed in the last `recent_minutes`; returns how many it fixed.
int repair_recent(const Settings& s);

const pnptv::Daemon& daemon();

}  // namespace authz_worker
