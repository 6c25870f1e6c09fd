// payment_references.hpp — every ePayco reference we know of, and the verifier that asks ePayco
// what each one really is (docs/protocols.md §5).
//
// The webhook stores a signed claim once per reference (whatever state it claims: the state is
// unsigned and ePayco's answer decides) and answers at once; the buyer's return with
// ?ref_payco=… adds a candidate the same way. A reference is then *due*: the verifier fetches
// ePayco's validation answer for many references at once (HttpBatch), applies each answer
// (payment_confirmation.hpp), and while ePayco can't be reached retries with capped backoff,
// for as long as it takes. A new claim for a reference checked a moment ago waits
// `recheck_seconds`, so one signed tuple replayed a thousand times costs one call to ePayco,
// not a thousand. Reconciliation is the same path: open references not heard of for a while
// become due again.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "epayco.hpp"
#include "settings.hpp"

namespace pnptv {

// EPAYCO_RECHECK_SECONDS: the least time between two checks of one reference at ePayco.
int read_recheck_seconds(SettingsReader& r);

// The webhook's one statement: the claim is durable once this returns.
void store_claim(const EpaycoClaim& claim, int recheck_seconds);
// The buyer came back from the checkout naming a reference for one of their pending records:
// a hint for the verifier (at most a few per record), never a decision.
void note_candidate_reference(long long payment_record_id, std::string_view ref, int recheck_seconds);

struct VerifierSettings {
    std::string api_base;          // EPAYCO_API_BASE
    long timeout_ms = 8000;        // per validation request
    int concurrency = 32;          // validation requests in flight at once
    int recheck_seconds = 30;      // the least time between two checks of one reference
    int not_found_attempts = 5;    // ePayco not knowing a reference: given up after this many such answers
    long retry_base_seconds = 5;   // backoff while ePayco is unreachable …
    long retry_cap_seconds = 600;  // … capped here, retried for as long as it takes
    static VerifierSettings read(SettingsReader& r);
};

// Checks every due reference (up to `concurrency` at a time) until none is due, or until
// keep_going() says stop (requests in flight are still finished). Returns how many were handled.
int verify_due_references(const VerifierSettings& settings, const std::function<bool()>& keep_going);
// Reconciliation: references still open (pending, held, started, unknown; for 30 days), and
// signed claims ePayco did not know (for a day), not asked about for `after_minutes`, become
// due. Returns how many.
int schedule_rechecks(int after_minutes);
// Pending records older than `after_hours` that ePayco never said anything about — no bound or
// candidate reference, no signed claim naming them (the buyer left the checkout) — become
// `abandoned`, so they neither pile up nor hold a checkout open. A record a claim names, however
// long ePayco takes, is never closed. Returns how many (at most 1,000 a run).
int close_abandoned_records(int after_hours);
// Seconds until the next reference is due (nullopt: none is waiting).
std::optional<double> seconds_until_next_due();

}  // namespace pnptv
