#include "payment_references.hpp"

#include "pg.hpp"

namespace pnptv {

namespace {

// A reference heard of again becomes due: at once if it was never checked, else no sooner than
// recheck_seconds ($3) after its last check. While a check is in flight the new word is kept as
// `recheck`, so the verifier looks again after applying what it got. Nothing is written when the
// reference is already due (a flood of replays costs no writes).
constexpr std::string_view mark_due_on_conflict = R"sql(
ON CONFLICT (provider_ref) DO UPDATE SET
    claim_payload = COALESCE(payment_references.claim_payload, EXCLUDED.claim_payload),
    candidate_record_id = COALESCE(payment_references.candidate_record_id, EXCLUDED.candidate_record_id),
    due_at = CASE WHEN COALESCE(payment_references.claimed_until > now(), false) THEN payment_references.due_at
                  ELSE COALESCE(payment_references.due_at,
                                GREATEST(now(), payment_references.checked_at + make_interval(secs => $3))) END,
    recheck = COALESCE(payment_references.claimed_until > now(), false)
WHERE payment_references.due_at IS NULL
   OR (COALESCE(payment_references.claimed_until > now(), false) AND NOT payment_references.recheck)
   OR (payment_references.claim_payload IS NULL AND EXCLUDED.claim_payload IS NOT NULL)
)sql";

const std::string store_claim_sql =
    "INSERT INTO payment_references (provider_ref, source, claim_payload) VALUES ($1, 'webhook', $2::jsonb) " +
    std::string(mark_due_on_conflict);

// At most three candidates per record: a buyer can't make us ask ePayco about any number of
// references by editing the return URL.
const std::string note_candidate_sql =
    "INSERT INTO payment_references (provider_ref, source, candidate_record_id) "
    "SELECT $1, 'return', $2::bigint WHERE (SELECT count(*) FROM payment_references WHERE candidate_record_id = $2) < 3 " +
    std::string(mark_due_on_conflict);

}  // namespace

void store_claim(const EpaycoClaim& claim, int recheck_seconds) {
    db().exec(store_claim_sql, {claim.ref, epayco_audit_payload(claim.fields).dump(-1, ' ', false, Json::error_handler_t::replace),
                                recheck_seconds});
}

void note_candidate_reference(long long payment_record_id, std::string_view ref, int recheck_seconds) {
    db().exec(note_candidate_sql, {ref, payment_record_id, recheck_seconds});
}

int schedule_rechecks(int after_minutes) {
    return db().exec("UPDATE payment_references SET due_at = now() WHERE provider_ref IN ("
                     "  SELECT provider_ref FROM payment_references "
                     "   WHERE due_at IS NULL AND state IN ('pending', 'held', 'started', 'unknown') "
                     "     AND checked_at < now() - make_interval(mins => $1) AND first_seen_at > now() - interval '30 days' "
                     "   ORDER BY checked_at LIMIT 500)",
                     {after_minutes})
        .affected();
}

std::optional<double> seconds_until_next_due() {
    auto r = db().exec("SELECT EXTRACT(EPOCH FROM min(GREATEST(due_at, COALESCE(claimed_until, due_at))) - now()) "
                       "FROM payment_references WHERE due_at IS NOT NULL");
    if (r.is_null(0, 0)) return std::nullopt;
    return std::stod(r.get(0, 0));
}

}  // namespace pnptv
