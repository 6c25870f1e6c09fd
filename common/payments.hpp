// payments.hpp — what an ePayco confirmation does to our records. The webhook and the
// reconciliation job both come through apply_confirmation, so a confirmation ePayco never
// managed to deliver has exactly the effect the delivered one would have had.
//
// In one transaction: the raw confirmation is stored (unique per reference and state code, so a
// replay changes nothing), matched to its payment record (x_extra3, extras checked; the invoice
// as a whole token only as a fallback), amount and currency compared as decimals, the state
// transition checked (pending-like → anything, approved → reversed only, other finals → nothing),
// and the effect applied with its messages written to the outbox. After the commit the user's
// authorisation record (read by the guard) is rewritten and their cached data dropped.
#pragma once

#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

struct ConfirmationOutcome {
    std::string outcome;    // applied, replay, unmatched, extras_mismatch, amount_mismatch, ignored_transition, …
    long long payment_id = 0;
    std::string state;      // the record's state afterwards
};

// `fields` are the x_ fields as received (already authenticated by the caller: a verified
// signature and, for approvals and reversals, ePayco's own validation answer).
ConfirmationOutcome apply_confirmation(const Pairs& fields, int state_code, std::string_view source);

// A confirmation claiming approval or reversal that ePayco's validation does not back (e.g. a
// declined payment's signed fields replayed with state 1): stored under the negated code, so it
// can't pass for the real one later, and the record flagged and given the reference so the
// reconciliation job asks ePayco what really happened. Nothing else changes.
void record_unverified_claim(const Pairs& fields, int claimed_code);

// The state code of a confirmation: x_cod_transaction_state, else x_cod_response; nullopt if
// neither is a number.
std::optional<int> confirmation_state_code(const Pairs& fields);

// Our invoice inside ePayco's (possibly decorated) x_id_invoice, as a whole token only.
std::optional<std::string> find_invoice_token(std::string_view decorated);

// Periodic jobs (notify-worker runs them): idempotent and safe with several instances.
int reconcile_pending_payments();        // asks ePayco about stale pending payments
int expire_subscriptions();              // ends expired ones, drops the tier, tells the user
int send_expiry_reminders();             // 3 days before the end
int prune_delivered_outbox();            // after OUTBOX_RETENTION_DAYS

// After a tier or role change: the guard's record, and the user's cached data dropped.
void refresh_user_authz(long long user_id);

}  // namespace pnptv
