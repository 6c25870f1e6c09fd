#include "subscriptions.hpp"

#include "messages.hpp"
#include "outbox.hpp"
#include "authz.hpp"
#include "pg.hpp"

namespace pnptv {

namespace {

constexpr const char* lock_user_sql = "SELECT 1 FROM users WHERE id = $1 FOR UPDATE";
constexpr const char* active_sql =
    "SELECT id, ends_at IS NULL AS lifetime, ends_at::text AS ends_at FROM subscriptions "
    "WHERE user_id = $1 AND status = 'active' FOR UPDATE";
constexpr const char* create_sql =
    "INSERT INTO subscriptions (user_id, plan_id, payment_record_id, status, starts_at, ends_at) "
    "VALUES ($1, $2, $3, 'active', now(), now() + make_interval(days => $4::int)) "
    "RETURNING id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ends_on";
constexpr const char* extend_sql =
    "UPDATE subscriptions SET plan_id = $2, payment_record_id = COALESCE($3, payment_record_id), reminder_sent_at = NULL, "
    "ends_at = CASE WHEN $4::int IS NULL THEN NULL ELSE GREATEST(ends_at, now()) + make_interval(days => $4::int) END "
    "WHERE id = $1 RETURNING id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ends_on";
// A subscription whose last remaining time is taken back ends now (never before it started).
constexpr const char* shorten_sql =
    "UPDATE subscriptions SET "
    "  status = CASE WHEN ends_at - make_interval(days => $2::int) <= now() THEN 'revoked' ELSE status END, "
    "  ends_at = CASE WHEN ends_at - make_interval(days => $2::int) <= now() "
    "                 THEN GREATEST(now(), starts_at + interval '1 second') "
    "                 ELSE ends_at - make_interval(days => $2::int) END "
    "WHERE id = $1 AND status = 'active' AND ends_at IS NOT NULL";
constexpr const char* end_lifetime_sql =
    "UPDATE subscriptions SET "
    "  status = CASE WHEN $2::timestamptz IS NULL OR $2::timestamptz <= now() THEN 'revoked' ELSE status END, "
    "  ends_at = CASE WHEN $2::timestamptz IS NULL OR $2::timestamptz <= now() "
    "                 THEN GREATEST(now(), starts_at + interval '1 second') ELSE $2::timestamptz END "
    "WHERE id = $1 AND status = 'active' AND ends_at IS NULL";
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
    Grant g;
    g.days = days;
    if (current.rows() == 0) {
        auto created = db().exec(create_sql, {user_id, plan_id, payment_record_id, days});
        g.subscription_id = created.get_int(0, created.column("id"));
        g.effect = "created";
        g.ends_on = created.get_opt(0, created.column("ends_on"));
    } else if (current.get_bool(0, current.column("lifetime"))) {
        g.subscription_id = current.get_int(0, current.column("id"));
        g.effect = "none";  // already lifetime: extending it changes nothing
    } else {
        g.subscription_id = current.get_int(0, current.column("id"));
        g.effect = days ? "extended" : "made_lifetime";
        if (!days) g.ends_before = current.get(0, current.column("ends_at"));
        auto extended = db().exec(extend_sql, {g.subscription_id, plan_id, payment_record_id, days});
        g.ends_on = extended.get_opt(0, extended.column("ends_on"));
    }
    sync_tier(user_id);
    return g;
}

void take_back_grant(long long user_id, const Grant& g) {
    db().exec(lock_user_sql, {user_id});
    if (g.effect == "created" || g.effect == "extended") {
        if (g.days) db().exec(shorten_sql, {g.subscription_id, *g.days});
        else db().exec(end_lifetime_sql, {g.subscription_id, std::nullopt});
    } else if (g.effect == "made_lifetime") {
        db().exec(end_lifetime_sql, {g.subscription_id, g.ends_before});
    }
    sync_tier(user_id);
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
            auto col = [&](const char* name) { return ended.get(i, ended.column(name)); };
            users.push_back(ended.get_int(i, ended.column("user_id")));
            notify_subscription(users.back(), ended.get_int(i, ended.column("telegram_id")), col("language"), col("email"),
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
            auto col = [&](const char* name) { return due.get(i, due.column(name)); };
            notify_subscription(due.get_int(i, due.column("user_id")), due.get_int(i, due.column("telegram_id")), col("language"),
                                col("email"), "subscription_reminder", col("ends_on"),
                                "reminder:" + col("subscription_id") + ":" + col("ends_on"));
        }
    });
    return sent;
}

}  // namespace pnptv
