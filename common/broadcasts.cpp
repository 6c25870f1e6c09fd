#include "broadcasts.hpp"

#include "audit.hpp"
#include "pg.hpp"

namespace pnptv {

long long queue_broadcast(long long actor_user_id, const std::string& text, const BroadcastSegment& segment) {
    long long id = 0;
    db().transaction([&] {
        id = db().exec("INSERT INTO broadcasts (created_by, text, tier, language) VALUES ($1, $2, $3, $4) RETURNING id",
                       {actor_user_id, text, segment.tier, segment.language}).get_int(0, 0);
        // One statement however many people; the dedupe key makes each person's message once-only.
        const long long recipients = db().exec(
            "INSERT INTO outbox (kind, user_id, payload, dedupe_key, broadcast_id) "
            "SELECT 'telegram', u.id, jsonb_build_object('method', 'sendMessage', 'chat_id', u.telegram_id, 'text', $2::text), "
            "       'broadcast:' || $1::bigint || ':' || u.id, $1::bigint "
            "  FROM users u WHERE u.telegram_id IS NOT NULL AND u.unreachable_at IS NULL AND u.banned_at IS NULL "
            "   AND u.deleted_at IS NULL AND u.age_verified_at IS NOT NULL "
            "   AND ($3::text IS NULL OR u.tier = $3) AND ($4::text IS NULL OR u.language = $4) "
            "ON CONFLICT (dedupe_key) DO NOTHING",
            {id, text, segment.tier, segment.language}).affected();
        db().exec("UPDATE broadcasts SET recipients = $2 WHERE id = $1", {id, recipients});
        audit(actor_user_id, "broadcast.send", "broadcast", std::to_string(id),
              {{"tier", segment.tier ? Json(*segment.tier) : Json(nullptr)}, {"language", segment.language ? Json(*segment.language) : Json(nullptr)},
               {"recipients", recipients}, {"text", text.substr(0, 200)}});
        db().exec("SELECT pg_notify('outbox', '')");
    });
    return id;
}

Json broadcast_progress(long long id) {
    auto r = db().exec(
        "SELECT b.id, b.text, b.tier, b.language, b.recipients, "
        "       to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, "
        "       count(o.id) FILTER (WHERE o.delivered_at IS NOT NULL) AS delivered, "
        "       count(o.id) FILTER (WHERE o.delivered_at IS NULL AND o.dead_at IS NULL) AS pending, "
        "       count(o.id) FILTER (WHERE o.dead_at IS NOT NULL) AS failed "
        "  FROM broadcasts b LEFT JOIN outbox o ON o.broadcast_id = b.id WHERE b.id = $1 GROUP BY b.id", {id});
    if (r.rows() == 0) return nullptr;
    auto opt = [&](const char* c) { return r.get_opt(0, c) ? Json(*r.get_opt(0, c)) : Json(nullptr); };
    // Delivered rows are pruned after OUTBOX_RETENTION_DAYS: then only the recipients count stays.
    return {{"id", r.get_int(0, "id")}, {"text", r.get(0, "text")}, {"tier", opt("tier")}, {"language", opt("language")},
            {"recipients", r.get_int(0, "recipients")}, {"delivered", r.get_int(0, "delivered")}, {"pending", r.get_int(0, "pending")},
            {"failed", r.get_int(0, "failed")}, {"created_at", r.get(0, "created_at")}};
}

}  // namespace pnptv
