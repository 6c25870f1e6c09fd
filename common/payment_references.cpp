#include "payment_references.hpp"

#include "pg.hpp"

namespace pnptv {

int read_recheck_seconds(SettingsReader& r) { return static_cast<int>(r.integer("EPAYCO_RECHECK_SECONDS", 30, 1, 86400)); }

namespace {

// A reference heard of again becomes due: at once if it was never checked, else no sooner than
// recheck_seconds ($3) after its last check. While a check is in flight the new word is kept as
// `recheck`, so the verifier looks again after applying what it got. Nothing is written when the
// reference is already due (a flood of replays costs no writes).
constexpr std::string_view mark_due_on_conflict = R"sql(
ON CONFLICT (provider_ref) DO UPDATE SET
    claim_payload = COALESCE(payment_references.claim_payload, EXCLUDED.claim_payload),
    due_at = CASE WHEN COALESCE(payment_references.claimed_until > now(), false) THEN payment_references.due_at
                  ELSE COALESCE(payment_references.due_at,
                                GREATEST(now(), payment_references.checked_at + make_interval(secs => $3))) END,
    recheck = COALESCE(payment_references.claimed_until > now(), false)
WHERE (payment_references.due_at IS NULL
       OR (COALESCE(payment_references.claimed_until > now(), false) AND NOT payment_references.recheck)
       OR (payment_references.claim_payload IS NULL AND EXCLUDED.claim_payload IS NOT NULL))
)sql";

const std::string store_claim_sql =
    "INSERT INTO payment_references (provider_ref, source, claim_payload) VALUES ($1, 'webhook', $2::jsonb) " +
    std::string(mark_due_on_conflict);

// A buyer can't make us ask ePayco about any number of references by editing the return URL:
// at most three candidates per record and ten a day across the buyer's records, and a reference
// already known is looked at again only for the record it is a candidate of (or bound to).
const std::string note_candidate_sql =
    "INSERT INTO payment_references (provider_ref, source, candidate_record_id) "
    "SELECT $1, 'return', $2::bigint "
    " WHERE (SELECT count(*) FROM payment_references WHERE candidate_record_id = $2) < 3 "
    "   AND (SELECT count(*) FROM payment_references r JOIN payment_records p ON p.id = r.candidate_record_id "
    "         WHERE p.user_id = (SELECT user_id FROM payment_records WHERE id = $2) "
    "           AND r.first_seen_at > now() - interval '1 day') < 10 " +
    std::string(mark_due_on_conflict) +
    " AND (payment_references.candidate_record_id = EXCLUDED.candidate_record_id "
    "      OR payment_references.payment_record_id = EXCLUDED.candidate_record_id)";

}  // namespace

void store_claim(const EpaycoClaim& claim, int recheck_seconds) {
    db().exec(store_claim_sql, {claim.ref, jsonb_text(epayco_audit_payload(claim.fields)),
                                recheck_seconds});
}

void note_candidate_reference(long long payment_record_id, std::string_view ref, int recheck_seconds) {
    db().exec(note_candidate_sql, {ref, payment_record_id, recheck_seconds});
}

int schedule_rechecks(int after_minutes) {
    // Open references for 30 days; a signed claim ePayco didn't know (yet) for one day.
    return db().exec("UPDATE payment_references SET due_at = now(), not_found = 0 WHERE provider_ref IN ("
                     "  SELECT provider_ref FROM payment_references "
                     "   WHERE due_at IS NULL AND checked_at < now() - make_interval(mins => $1) "
                     "     AND ((state IN ('pending', 'held', 'started', 'unknown') AND first_seen_at > now() - interval '30 days') "
                     "          OR (state IS NULL AND source = 'webhook' AND first_seen_at > now() - interval '1 day')) "
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

int close_abandoned_records(int after_hours) {
    return db().exec(R"sql(
UPDATE payment_records p SET state = 'abandoned'
  FROM (SELECT p2.id FROM payment_records p2
         WHERE p2.state = 'pending' AND p2.provider_ref IS NULL AND p2.created_at < now() - make_interval(hours => $1)
           AND NOT EXISTS (SELECT 1 FROM payment_references r
                            WHERE r.payment_record_id = p2.id OR r.candidate_record_id = p2.id
                               OR r.claim_payload->>'x_extra3' = p2.id::text
                               OR position(p2.invoice IN COALESCE(r.claim_payload->>'x_id_invoice', '')) > 0)
         ORDER BY p2.id LIMIT 1000 FOR UPDATE SKIP LOCKED) old
 WHERE p.id = old.id
)sql", {after_hours}).affected();
}

}  // namespace pnptv
