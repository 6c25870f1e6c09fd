// The verifier half of payment_references.hpp: asking ePayco about due references, many at a
// time, and applying its answers. Apart from the webhook's half so the webhook links no HTTP client.
#include <unordered_map>

#include "backoff.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "payment_confirmation.hpp"
#include "payment_references.hpp"
#include "pg.hpp"

namespace pnptv {

namespace {

constexpr const char* claim_due_sql = R"sql(
UPDATE payment_references r SET claimed_until = now() + make_interval(secs => $2), attempts = r.attempts + 1, recheck = false
  FROM (SELECT provider_ref FROM payment_references
         WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
 WHERE r.provider_ref = due.provider_ref
RETURNING r.provider_ref, r.attempts
)sql";

// ePayco answered (found, or sure it doesn't know it): done until something new is heard.
constexpr const char* finish_sql =
    "UPDATE payment_references SET claimed_until = NULL, checked_at = now(), last_error = $2, "
    "attempts = CASE WHEN $4 THEN 0 ELSE attempts END, "
    "due_at = CASE WHEN recheck THEN now() + make_interval(secs => $3) END, recheck = false WHERE provider_ref = $1";
// Ask again later.
constexpr const char* reschedule_sql =
    "UPDATE payment_references SET claimed_until = NULL, last_error = $2, due_at = now() + make_interval(secs => $3), "
    "recheck = false, checked_at = CASE WHEN $4 THEN now() ELSE checked_at END WHERE provider_ref = $1";

constexpr int claim_seconds = 120;

void finish(const std::string& ref, const std::string& error, int recheck_seconds, bool answered_found) {
    db().exec(finish_sql, {ref, error.empty() ? std::nullopt : std::optional<std::string>(error.substr(0, 500)),
                           recheck_seconds, answered_found});
}

void reschedule(const std::string& ref, const std::string& error, long after_seconds, bool answered) {
    db().exec(reschedule_sql, {ref, error.substr(0, 500), static_cast<long long>(after_seconds), answered});
}

void record_answer(const VerifierSettings& s, const std::string& ref, int attempts, const HttpClientResponse& r) {
    EpaycoValidation v = epayco_validation_from(r.status, r.body);
    if (!v.reachable) {
        log_event(LogLevel::warn, "epayco_validation_unreachable", {{"ref_payco", ref}, {"status", r.status}, {"error", r.error}});
        return reschedule(ref, "ePayco unreachable (" + (r.status ? std::to_string(r.status) : r.error) + ")",
                          retry_delay_seconds(attempts, s.retry_base_seconds, s.retry_cap_seconds), false);
    }
    if (!v.found) {
        log_event(LogLevel::warn, "epayco_reference_unknown", {{"ref_payco", ref}, {"attempt", attempts}});
        if (attempts >= s.not_found_attempts) return finish(ref, "ePayco does not know this reference", s.recheck_seconds, false);
        return reschedule(ref, "ePayco does not know this reference yet",
                          retry_delay_seconds(attempts, s.retry_base_seconds, s.retry_cap_seconds), true);
    }
    const EpaycoTransaction& t = v.transaction;
    if (t.ref != ref || !t.state_code) {
        log_event(LogLevel::warn, "epayco_answer_unusable", {{"ref_payco", ref}, {"answer_ref", t.ref}});
        return finish(ref, "ePayco's answer names another reference or no state", s.recheck_seconds, true);
    }
    try {
        apply_verified_transaction(t, s.recheck_seconds);  // marks the reference checked in its transaction
    } catch (const PgError& e) {
        // A deadlock or serialisation failure with another writer: the answer is applied on the next try.
        log_event(LogLevel::warn, "payment_apply_failed", {{"ref_payco", ref}, {"sqlstate", e.sqlstate}, {"error", e.what()}});
        reschedule(ref, std::string("applying failed: ") + e.what(), retry_delay_seconds(attempts, 1, 60), true);
    }
}

}  // namespace

int verify_due_references(const VerifierSettings& s, const std::function<bool()>& keep_going) {
    HttpBatch batch;
    std::unordered_map<std::string, int> attempts;
    int handled = 0;
    bool more = true;
    for (;;) {
        const size_t room = static_cast<size_t>(s.concurrency) - batch.in_flight();
        if (more && room > 0 && keep_going()) {
            auto due = db().exec(claim_due_sql, {static_cast<long long>(room), claim_seconds});
            more = static_cast<size_t>(due.rows()) == room;
            for (int i = 0; i < due.rows(); ++i) {
                std::string ref = due.get(i, 0);
                attempts[ref] = static_cast<int>(due.get_int(i, 1));
                batch.get(ref, epayco_validation_url(s.api_base, ref), {"Accept: application/json"}, s.timeout_ms);
            }
        }
        if (batch.in_flight() == 0) break;
        auto done = batch.wait(200);
        for (const auto& [ref, response] : done) {
            record_answer(s, ref, attempts[ref], response);
            attempts.erase(ref);
            ++handled;
        }
        if (!done.empty()) more = true;
    }
    return handled;
}

}  // namespace pnptv
