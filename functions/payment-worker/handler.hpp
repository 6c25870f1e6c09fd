// payment-worker — the daemon that turns what we hear about payments into what ePayco says:
// it verifies every due ePayco reference (many at a time, woken by NOTIFY), re-checks open
// ones (reconciliation), ends expired subscriptions and sends the reminders. Several may run
// at once (SKIP LOCKED claims, idempotent jobs). It never waits behind Telegram or e-mail.
#pragma once

#include "payment_references.hpp"
#include "runtime.hpp"

namespace payment_worker {

// From EPAYCO_API_BASE, EPAYCO_TIMEOUT_MS, EPAYCO_VERIFY_CONCURRENCY, EPAYCO_RECHECK_SECONDS.
pnptv::VerifierSettings verifier_settings();
// One round of the periodic jobs (reconciliation, expiry, reminders); logs what each did.
void run_jobs();

const pnptv::Daemon& daemon();

}  // namespace payment_worker
