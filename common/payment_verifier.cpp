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

VerifierSettings VerifierSettings::read(SettingsReader& r) {
    VerifierSettings s;
    s.api_base = r.url("EPAYCO_API_BASE", "https://secure.epayco.co");
    s.timeout_ms = read_epayco_timeout_ms(r);
    s.concurrency = static_cast<int>(r.integer("EPAYCO_VERIFY_CONCURRENCY", 32, 1, 512));
    s.recheck_seconds = read_recheck_seconds(r);
    return s;
}

namespace {

constexpr const char* claim_due_sql = R"sql(
UPDATE payment_references r SET claimed_until = now() + make_interval(secs => $2), attempts = r.attempts + 1, recheck = false
  FROM (SELECT provider_ref FROM payment_references
         WHERE due_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
         ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
 WHERE r.provider_ref = due.provider_ref
RETURNING r.provider_ref, r.attempts
)sql";

// ePayco answered that it doesn't know the reference: asked again with backoff a few times (it
// may be slow to index a new one), then given up until something new is heard of it.
constexpr const char* not_found_sql =
    "UPDATE payment_references SET claimed_until = NULL, checked_at = now(), attempts = 0, not_found = not_found + 1, "
    "last_error = 'ePayco does not know this reference', "
    "due_at = CASE WHEN not_found + 1 < $2 THEN now() + make_interval(secs => $3) "
    "              WHEN recheck THEN now() + make_interval(secs => $4) END, "
    "recheck = false WHERE provider_ref = $1 RETURNING not_found";
// No usable answer (ePayco unreachable, refusing, or an answer that isn't about this reference):
// asked again after a backoff, for as long as it takes.
constexpr const char* retry_sql =
    "UPDATE payment_references SET claimed_until = NULL, last_error = $2, due_at = now() + make_interval(secs => $3), "
    "recheck = false WHERE provider_ref = $1";

void retry(const std::string& ref, const std::string& error, long after_seconds) {
    db().exec(retry_sql, {ref, error.substr(0, 500), static_cast<long long>(after_seconds)});
}

void record_answer(const VerifierSettings& s, const std::string& ref, int attempts, const HttpClientResponse& r) {
    const long backoff = retry_delay_seconds(attempts, s.retry_base_seconds, s.retry_cap_seconds);
    EpaycoValidation v = epayco_validation_from(r.status, r.body);
    if (!v.reachable) {
        log_event(LogLevel::warn, "epayco_validation_unreachable", {{"ref_payco", ref}, {"status", r.status}, {"error", r.error}});
        return retry(ref, "ePayco gave no usable answer (" + (r.status ? "HTTP " + std::to_string(r.status) : r.error) + ")", backoff);
    }
    if (!v.found) {
        auto n = db().exec(not_found_sql, {ref, s.not_found_attempts, backoff, s.recheck_seconds});
        log_event(LogLevel::warn, "epayco_reference_unknown", {{"ref_payco", ref}, {"times", n.rows() ? n.get_int(0, 0) : 0}});
        return;
    }
    const EpaycoTransaction& t = v.transaction;
    if (t.ref != ref || !t.state_code) {
        log_event(LogLevel::warn, "epayco_answer_unusable", {{"ref_payco", ref}, {"answer_ref", t.ref}});
        return retry(ref, "ePayco's answer names another reference or no state", backoff);
    }
    try {
        apply_verified_transaction(t, s.recheck_seconds);  // marks the reference checked in its transaction
    } catch (const PgError& e) {
        // A deadlock or serialisation failure with another writer: the answer is applied on the next try.
        log_event(LogLevel::warn, "payment_apply_failed", {{"ref_payco", ref}, {"sqlstate", e.sqlstate}, {"error", e.what()}});
        retry(ref, std::string("applying failed: ") + e.what(), retry_delay_seconds(attempts, 1, 60));
    }
}

}  // namespace

int verify_due_references(const VerifierSettings& s, const std::function<bool()>& keep_going) {
    // A claim outlives one request with a margin; a verifier that died (or lost its database)
    // mid-batch leaves its references to be taken again soon after.
    const long long claim_seconds = s.timeout_ms / 1000 + 15;
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
                std::string ref = due.get(i, "provider_ref");
                attempts[ref] = static_cast<int>(due.get_int(i, "attempts"));
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
