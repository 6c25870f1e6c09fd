#include "subscriptions.hpp"

#include "messages.hpp"
#include "outbox.hpp"
#include "authz.hpp"
#include "pg.hpp"

namespace pnptv {

namespace {

constexpr const char* lock_user_sql = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";
constexpr const char* active_sql = "SELECT id FROM subscriptions WHERE user_id = $1 AND status = 'active' FOR UPDATE";
// $4 days, NULL for a lifetime.
constexpr const char* create_sql = R"sql(
INSERT INTO subscriptions (user_id, plan_id, payment_record_id, status, starts_at, dated_ends_at, lifetime_grants, ends_at)
VALUES ($1, $2, $3, 'active', now(), now() + make_interval(days => $4::int), CASE WHEN $4::int IS NULL THEN 1 ELSE 0 END,
        now() + make_interval(days => $4::int))
RETURNING id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ends_on
)sql";
constexpr const char* extend_sql = R"sql(
UPDATE subscriptions s
   SET plan_id = CASE WHEN d.lifetime > 0 AND $4::int IS NOT NULL THEN s.plan_id ELSE $2 END,
       payment_record_id = COALESCE($3, s.payment_record_id), reminder_sent_at = NULL,
       dated_ends_at = d.dated, lifetime_grants = d.lifetime,
       ends_at = CASE WHEN d.lifetime > 0 THEN NULL ELSE d.dated END
  FROM (SELECT CASE WHEN $4::int IS NULL THEN dated_ends_at
                    ELSE GREATEST(COALESCE(dated_ends_at, now()), now()) + make_interval(days => $4::int) END AS dated,
               lifetime_grants + CASE WHEN $4::int IS NULL THEN 1 ELSE 0 END AS lifetime
          FROM subscriptions WHERE id = $1) d
 WHERE s.id = $1
RETURNING s.id, to_char(s.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ends_on
)sql";
// Removes one grant ($2 days, NULL: a lifetime); a subscription left with no time ends now
// (never before it started).
constexpr const char* take_back_sql = R"sql(
UPDATE subscriptions s
   SET dated_ends_at = d.dated, lifetime_grants = d.lifetime,
       status = CASE WHEN d.lifetime = 0 AND (d.dated IS NULL OR d.dated <= now()) THEN 'revoked' ELSE s.status END,
       ends_at = CASE WHEN d.lifetime > 0 THEN NULL
                      WHEN d.dated IS NULL OR d.dated <= now() THEN GREATEST(now(), s.starts_at + interval '1 second')
                      ELSE d.dated END
  FROM (SELECT CASE WHEN $2::int IS NULL THEN dated_ends_at ELSE dated_ends_at - make_interval(days => $2::int) END AS dated,
               GREATEST(lifetime_grants - CASE WHEN $2::int IS NULL THEN 1 ELSE 0 END, 0) AS lifetime
          FROM subscriptions WHERE id = $1) d
 WHERE s.id = $1 AND s.status = 'active'
)sql";
constexpr const char* sync_tier_sql =
    "UPDATE users SET tier = CASE WHEN EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 AND status = 'active') "
    "THEN 'prime' ELSE 'free' END WHERE id = $1";

// One message to a user about their subscription, in their language, on Telegram and by e-mail.
void notify_subscription(long long user_id, long long telegram_id, const std::string& language, const std::string& email,
                         const char* key, const std::string& date, const std::string& dedupe) {
    const std::string tg = say(language, key, {{"date", date}});
    enqueue_telegram(user_id, send_message(telegram_id, tg), dedupe + ":telegram");
    if (plausible_email(email))
        enqueue_email(user_id, make_email(email, say(language, std::string(key) + "_subject", {{"date", date}}),
                                          say(language, std::string(key) + "_text", {{"date", date}})),
                      dedupe + ":email");
}

}  // namespace

Grant grant_subscription(long long user_id, const std::string& plan_id, std::optional<int> days,
                         std::optional<long long> payment_record_id) {
    db().exec(lock_user_sql, {user_id});
    auto current = db().exec(active_sql, {user_id});
    auto granted = current.rows() == 0 ? db().exec(create_sql, {user_id, plan_id, payment_record_id, days})
                                       : db().exec(extend_sql, {current.get_int(0, 0), plan_id, payment_record_id, days});
    Grant g;
    g.subscription_id = granted.get_int(0, "id");
    g.days = days;
    g.ends_on = granted.get_opt(0, "ends_on");
    sync_tier(user_id);
    return g;
}

void take_back_grant(long long user_id, const Grant& g) {
    db().exec(lock_user_sql, {user_id});
    db().exec(take_back_sql, {g.subscription_id, g.days});
    sync_tier(user_id);
}

bool revoke_subscription(long long user_id) {
    db().exec(lock_user_sql, {user_id});
    const bool revoked = db().exec("UPDATE subscriptions SET status = 'revoked', ends_at = GREATEST(now(), starts_at + interval '1 second') "
                                   "WHERE user_id = $1 AND status = 'active'", {user_id}).affected() > 0;
    sync_tier(user_id);
    return revoked;
}

void sync_tier(long long user_id) { db().exec(sync_tier_sql, {user_id}); }

int expire_subscriptions() {
    std::vector<long long> users;
    db().transaction([&] {
        auto ended = db().exec(
            "WITH ended AS (UPDATE subscriptions SET status = 'expired' "
            "  WHERE status = 'active' AND ends_at IS NOT NULL AND ends_at <= now() "
            "  RETURNING id, user_id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ended_on) "
            "UPDATE users u SET tier = 'free' FROM ended WHERE u.id = ended.user_id "
            "RETURNING ended.id AS subscription_id, u.id AS user_id, u.telegram_id, u.language, "
            "          COALESCE(u.email, '') AS email, ended.ended_on");
        for (int i = 0; i < ended.rows(); ++i) {
            auto col = [&](const char* name) { return ended.get(i, name); };
            users.push_back(ended.get_int(i, "user_id"));
            notify_subscription(users.back(), ended.get_int(i, "telegram_id"), col("language"), col("email"),
                                "subscription_expired", col("ended_on"), "expired:" + col("subscription_id"));
        }
    });
    project_users_now(users);
    return static_cast<int>(users.size());
}

int send_expiry_reminders() {
    int sent = 0;
    db().transaction([&] {
        auto due = db().exec(
            "UPDATE subscriptions s SET reminder_sent_at = now() FROM users u "
            "WHERE u.id = s.user_id AND s.status = 'active' AND s.reminder_sent_at IS NULL AND s.ends_at IS NOT NULL "
            "  AND s.ends_at > now() AND s.ends_at <= now() + interval '3 days' "
            "RETURNING s.id AS subscription_id, u.id AS user_id, u.telegram_id, u.language, COALESCE(u.email, '') AS email, "
            "          to_char(s.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ends_on");
        for (int i = 0; i < due.rows(); ++i, ++sent) {
            auto col = [&](const char* name) { return due.get(i, name); };
            notify_subscription(due.get_int(i, "user_id"), due.get_int(i, "telegram_id"), col("language"),
                                col("email"), "subscription_reminder", col("ends_on"),
                                "reminder:" + col("subscription_id") + ":" + col("ends_on"));
        }
    });
    return sent;
}

}  // namespace pnptv
