// payment_confirmation.hpp — what ePayco's validated answer about one reference does to our
// records. Only the verifier (payment_references.hpp) calls it, with the transaction ePayco's
// validation endpoint described: no field a caller sent ever reaches here.
//
// In one transaction: the answer is logged once per (reference, state code), so a repeat changes
// nothing; it is matched to our payment record by its extras (record id, user, plan) — the
// invoice as a whole token when it has none — and must agree with that record on invoice,
// amount (as decimals) and currency, and the reference must not be bound to another record.
// A mismatch touches no record: a log line and a confirmations row that points at no record.
// Then the reference's own state moves (open → anything, approved → reversed only, a refusal →
// approved when ePayco later says so; its word wins) and the per-state effect in the table in
// payment_confirmation.cpp runs: grant, take back exactly that grant, or tell the user.
#pragma once

#include <string>

#include "epayco.hpp"

namespace pnptv {

struct ConfirmationOutcome {
    std::string outcome;  // applied, replay, mismatch, ignored_transition
    std::string detail;   // for a mismatch, what disagreed
    long long payment_id = 0;
    std::string state;    // the record's state afterwards
};

// `transaction` must carry a reference and a state code (the verifier checks both first). In the
// same transaction the reference is marked checked: done, or due again recheck_seconds from now
// when a claim arrived while ePayco was being asked.
ConfirmationOutcome apply_verified_transaction(const EpaycoTransaction& transaction, int recheck_seconds);

}  // namespace pnptv
