#include "handler.hpp"

#include <functional>

#include "audit.hpp"
#include "authz.hpp"
#include "bans.hpp"
#include "broadcasts.hpp"
#include "cursor.hpp"
#include "fields.hpp"
#include "messages.hpp"
#include "outbox.hpp"
#include "people.hpp"
#include "subscriptions.hpp"
#include "text.hpp"

namespace admin {

using namespace pnptv;

namespace {

constexpr int page_size = 50, max_page_size = 200;

const std::string user_sql = "SELECT " + std::string(person_columns) + ", " + keyset_micros_sql("u.created_at") +
                             " AS at_micros, u.telegram_id, u.role, u.tier, u.language, u.banned_at IS NOT NULL AS banned, u.ban_reason, "
                             "to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at FROM users u "
                             "WHERE u.deleted_at IS NULL";

Json user_json(const PgResult& r, int i) {
    Json j = person_json(r, i);
    j["telegram_id"] = r.get_int(i, "telegram_id");
    j["role"] = r.get(i, "role");
    j["tier"] = r.get(i, "tier");
    j["language"] = r.get(i, "language");
    j["banned"] = r.get_bool(i, "banned");
    j["ban_reason"] = r.get_opt(i, "ban_reason") ? Json(*r.get_opt(i, "ban_reason")) : Json(nullptr);
    j["created_at"] = r.get(i, "created_at");
    return j;
}

// ?q= a Telegram id (digits), or part of a username or name (case-insensitive); newest first.
Response search(const Settings& s, const Request& request, const PathParams&) {
    require_admin(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto [at, key] = cursor_params(cursor_param(request));
    std::optional<std::string> pattern;
    std::optional<long long> telegram_id;
    if (auto q = find_value(request.query, "q"); q && !q->empty()) {
        const std::string text = checked_text(*q, "q", {1, 64});
        telegram_id = parse_id(text);
        std::string escaped;
        for (char c : text) {
            if (c == '%' || c == '_' || c == '\\') escaped.push_back('\\');  // the text is matched literally
            escaped.push_back(c);
        }
        pattern = "%" + escaped + "%";
    }
    auto r = db().exec(user_sql +
                           " AND ($1::text IS NULL OR u.telegram_id = $2 OR u.username ILIKE $1 OR u.first_name ILIKE $1 "
                           "OR u.display_name ILIKE $1) AND " + keyset_after_sql("u.created_at", "u.id", 3) +
                           " ORDER BY u.created_at DESC, u.id DESC LIMIT $5",
                       {pattern, telegram_id.value_or(0), at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "person_id", user_json));
}

long long target_id(const PathParams& params) {
    const long long id = path_id(params, "id", "person");
    if (db().exec("SELECT 1 FROM users WHERE id = $1 AND deleted_at IS NULL", {id}).rows() == 0) throw HttpError(404, "not_found", "No such person.");
    return id;
}

Response user_answer(long long id) { return Response::json(200, {{"user", user_json(db().exec(user_sql + " AND u.id = $1", {id}), 0)}}); }

// Through the one ban path (common/bans): the row, the audit, the guard's record, every session.
Response ban(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    Json body = request.body.empty() ? Json::object() : parse_json_object(request);
    reject_unknown_fields(body, {"reason"});
    const std::string reason = text_field(body, "reason", {0, 500, true}).value_or("");
    if (id == me.user_id) throw HttpError(422, "cannot_ban_self", "Admins can't ban themselves.");
    set_ban(id, true, reason, me.user_id, {{"by", "admin api"}});
    return user_answer(id);
}

Response unban(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    set_ban(id, false, "", me.user_id, {{"by", "admin api"}});
    return user_answer(id);
}

Response set_role(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"role"});
    auto role = choice_field(body, "role", {"user", "admin"});
    if (!role) throw HttpError(422, "missing_field", "role is required.", "role");
    if (id == me.user_id && *role != "admin") throw HttpError(422, "cannot_demote_self", "Ask another admin to change your own role.");
    db().transaction([&] {
        const std::string before = db().exec("SELECT role FROM users WHERE id = $1 FOR UPDATE", {id}).get(0, "role");
        if (before == *role) return;
        db().exec("UPDATE users SET role = $2 WHERE id = $1", {id, *role});  // the users trigger tells the guard
        audit(me.user_id, "user.role", "user", std::to_string(id), {{"before", {{"role", before}}}, {"after", {{"role", *role}}}});
    });
    project_users_now({id});
    return user_answer(id);
}

Response audit_trail(const Settings& s, const Request& request, const PathParams&) {
    require_admin(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto [at, key] = cursor_params(cursor_param(request));
    auto r = db().exec("SELECT a.id, " + keyset_micros_sql("a.created_at") +
                           " AS at_micros, a.actor_user_id, a.action, a.subject_type, a.subject_id, a.details::text AS details, "
                           "to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created_at FROM audit_log a WHERE " +
                           keyset_after_sql("a.created_at", "a.id", 1) + " ORDER BY a.created_at DESC, a.id DESC LIMIT $3",
                       {at, key, limit + 1});
    return Response::json(200, keyset_page(r, limit, "id", [](const PgResult& rows, int i) {
        auto opt = [&](const char* c) { return rows.get_opt(i, c) ? Json(*rows.get_opt(i, c)) : Json(nullptr); };
        return Json{{"id", rows.get_int(i, "id")},
                    {"actor_user_id", rows.get_opt(i, "actor_user_id") ? Json(rows.get_int(i, "actor_user_id")) : Json(nullptr)},
                    {"action", rows.get(i, "action")}, {"subject_type", opt("subject_type")}, {"subject_id", opt("subject_id")},
                    {"details", Json::parse(rows.get(i, "details"), nullptr, false)}, {"created_at", rows.get(i, "created_at")}};
    }));
}

// What PRIME a person has now: {"plan_id","ends_at"|null (lifetime)} or null.
Json active_subscription(long long user_id) {
    auto r = db().exec("SELECT plan_id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS ends_at FROM subscriptions "
                       "WHERE user_id = $1 AND status = 'active'", {user_id});
    if (r.rows() == 0) return nullptr;
    auto ends = r.get_opt(0, "ends_at");
    return {{"plan_id", r.get(0, "plan_id")}, {"ends_at", ends ? Json(*ends) : Json(nullptr)}};
}

Response subscription_answer(long long id) {
    return Response::json(200, {{"user", user_json(db().exec(user_sql + " AND u.id = $1", {id}), 0)}, {"subscription", active_subscription(id)}});
}

// Tells the person in Telegram, in their language (text(language)), once per audit row.
void tell(long long user_id, const std::function<std::string(const std::string&)>& text, const std::string& dedupe) {
    auto u = db().exec("SELECT telegram_id, language FROM users WHERE id = $1 AND telegram_id IS NOT NULL AND unreachable_at IS NULL", {user_id});
    if (u.rows()) enqueue_telegram(user_id, send_message(u.get_int(0, "telegram_id"), text(u.get(0, "language"))), dedupe);
}

// A plan (its length; lifetime when it has none), or days on the person's current plan — through
// the same grant the payment webhook uses (common/subscriptions), in one transaction with the
// audit row; the guard hears of the tier at once.
Response grant(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"plan_id", "days", "reason"});
    auto plan = text_field(body, "plan_id", {1, 64});
    auto days = count_field(body, "days", 1, 3650);
    auto reason = text_field(body, "reason", {0, 500, true});
    if (!plan && !days) throw HttpError(422, "missing_field", "Give plan_id, days, or both.", "plan_id");
    db().transaction([&] {
        Json before = active_subscription(id);
        std::string plan_id;
        std::optional<int> length = days ? std::optional<int>(static_cast<int>(*days)) : std::nullopt;
        if (plan) {
            auto p = db().exec("SELECT duration_days FROM plans WHERE id = $1", {*plan});
            if (p.rows() == 0) throw HttpError(422, "unknown_plan", "No such plan.", "plan_id");
            plan_id = *plan;
            if (!days && p.get_opt(0, "duration_days")) length = static_cast<int>(p.get_int(0, "duration_days"));
        } else if (before.is_null()) {
            throw HttpError(422, "missing_field", "This person has no subscription: say which plan.", "plan_id");
        } else {
            plan_id = before["plan_id"];
        }
        Grant g = grant_subscription(id, plan_id, length, std::nullopt);
        const long long audit_id = audit(me.user_id, "subscription.grant", "user", std::to_string(id),
                                         {{"before", before}, {"after", active_subscription(id)}, {"plan_id", plan_id},
                                          {"days", length ? Json(*length) : Json(nullptr)}, {"reason", reason ? Json(*reason) : Json(nullptr)}});
        tell(id, [&](const std::string& lang) {
            const std::string until = g.ends_on ? say(lang, "payment_until", {{"date", *g.ends_on}}) : say(lang, "payment_lifetime");
            return say(lang, "subscription_granted", {{"until", until}});
        }, "admin-grant:" + std::to_string(audit_id));
    });
    project_users_now({id});
    return subscription_answer(id);
}

Response revoke(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = target_id(params);
    db().transaction([&] {
        Json before = active_subscription(id);
        if (!revoke_subscription(id)) throw HttpError(404, "not_found", "This person has no active subscription.");
        const long long audit_id = audit(me.user_id, "subscription.revoke", "user", std::to_string(id), {{"before", before}, {"after", nullptr}});
        tell(id, [](const std::string& lang) { return say(lang, "subscription_revoked"); }, "admin-revoke:" + std::to_string(audit_id));
    });
    project_users_now({id});
    return subscription_answer(id);
}

// One look at the platform: people, PRIME, money, live, and the outbox's health.
Response stats(const Settings& s, const Request& request, const PathParams&) {
    require_admin(s.web, request);
    Json out;
    out["users"]["total"] = db().exec("SELECT count(*) FROM users WHERE deleted_at IS NULL").get_int(0, 0);
    auto days = db().exec(
        "SELECT to_char(d.day, 'YYYY-MM-DD') AS day, (SELECT count(*) FROM users u WHERE u.created_at >= d.day AND u.created_at < d.day + interval '1 day' AND u.deleted_at IS NULL) AS n "
        "FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - interval '29 days', date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') "
        "     AS g(local_day), LATERAL (SELECT g.local_day AT TIME ZONE 'UTC' AS day) d ORDER BY d.day");
    out["users"]["new_per_day"] = Json::array();
    for (int i = 0; i < days.rows(); ++i) out["users"]["new_per_day"].push_back({{"day", days.get(i, "day")}, {"count", days.get_int(i, "n")}});
    auto plans = db().exec("SELECT plan_id, count(*) AS n FROM subscriptions WHERE status = 'active' GROUP BY plan_id ORDER BY plan_id");
    out["subscriptions"]["active_by_plan"] = Json::array();
    for (int i = 0; i < plans.rows(); ++i) out["subscriptions"]["active_by_plan"].push_back({{"plan_id", plans.get(i, "plan_id")}, {"count", plans.get_int(i, "n")}});
    // Approved payments by the month they were approved in (UTC), per currency; amounts as exact decimal text.
    auto revenue = db().exec(
        "SELECT to_char(date_trunc('month', approved_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, currency, purpose, sum(amount)::text AS amount, count(*) AS n "
        "FROM payment_records WHERE state = 'approved' AND approved_at >= (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '11 months') AT TIME ZONE 'UTC' "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
    out["revenue_per_month"] = Json::array();
    for (int i = 0; i < revenue.rows(); ++i)
        out["revenue_per_month"].push_back({{"month", revenue.get(i, "month")}, {"currency", revenue.get(i, "currency")},
                                            {"purpose", revenue.get(i, "purpose")},  // tips are the hosts' money
                                            {"amount", revenue.get(i, "amount")}, {"payments", revenue.get_int(i, "n")}});
    out["live_now"] = db().exec("SELECT count(*) FROM live_streams WHERE status = 'live'").get_int(0, 0);
    auto outbox = db().exec("SELECT count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL) AS backlog, "
                            "count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead FROM outbox");
    out["outbox"] = {{"backlog", outbox.get_int(0, "backlog")}, {"dead", outbox.get_int(0, "dead")}, {"dead_rows", Json::array()}};
    auto dead = db().exec("SELECT id, kind, attempts, COALESCE(last_error, '') AS last_error, "
                          "to_char(dead_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS dead_at "
                          "FROM outbox WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT 50");
    for (int i = 0; i < dead.rows(); ++i)
        out["outbox"]["dead_rows"].push_back({{"id", dead.get_int(i, "id")}, {"kind", dead.get(i, "kind")}, {"attempts", dead.get_int(i, "attempts")},
                                              {"last_error", dead.get(i, "last_error")}, {"dead_at", dead.get(i, "dead_at")}});
    return Response::json(200, out);
}

// A dead outbox row gets another round of attempts (after the cause is fixed).
Response retry_outbox(const Settings& s, const Request& request, const PathParams& params) {
    Identity me = require_admin(s.web, request);
    const long long id = path_id(params, "id", "dead row");
    db().transaction([&] {
        auto r = db().exec("UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now(), claimed_until = NULL "
                           "WHERE id = $1 AND dead_at IS NOT NULL RETURNING kind, COALESCE(last_error, '') AS last_error", {id});
        if (r.rows() == 0) throw HttpError(404, "not_found", "No such dead row.");
        audit(me.user_id, "outbox.retry", "outbox", std::to_string(id), {{"kind", r.get(0, "kind")}, {"last_error", r.get(0, "last_error")}});
        db().exec("SELECT pg_notify('outbox', '')");
    });
    return Response::json(200, {{"retrying", true}});
}

const std::string payment_sql =
    "SELECT p.id, p.invoice, p.user_id, p.purpose, p.plan_id, p.live_stream_id, p.donation_message, p.amount::text AS amount, p.currency, p.state, p.provider_ref, p.flag_reason, " +
    keyset_micros_sql("p.created_at") + " AS at_micros, "
    "to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS created_at, "
    "to_char(p.approved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS approved_at, u.telegram_id "
    "FROM payment_records p JOIN users u ON u.id = p.user_id ";

Json payment_json(const PgResult& r, int i) {
    auto opt = [&](const char* c) { return r.get_opt(i, c) ? Json(*r.get_opt(i, c)) : Json(nullptr); };
    return {{"id", r.get_int(i, "id")}, {"invoice", r.get(i, "invoice")}, {"user_id", r.get_int(i, "user_id")},
            {"telegram_id", r.get_opt(i, "telegram_id") ? Json(r.get_int(i, "telegram_id")) : Json(nullptr)},
            {"purpose", r.get(i, "purpose")}, {"plan_id", opt("plan_id")},
            {"live_stream_id", r.get_opt(i, "live_stream_id") ? Json(r.get_int(i, "live_stream_id")) : Json(nullptr)},
            {"donation_message", opt("donation_message")}, {"amount", r.get(i, "amount")}, {"currency", r.get(i, "currency")},
            {"state", r.get(i, "state")}, {"provider_ref", opt("provider_ref")}, {"flag_reason", opt("flag_reason")},
            {"created_at", r.get(i, "created_at")}, {"approved_at", opt("approved_at")}};
}

// ?q= an invoice, an ePayco reference or a Telegram id (exact); ?state=; ?purpose=; ?flagged=true;
// newest first. Subscriptions and donations alike.
Response payments(const Settings& s, const Request& request, const PathParams&) {
    require_admin(s.web, request);
    const int limit = page_limit(request, page_size, max_page_size);
    auto [at, key] = cursor_params(cursor_param(request));
    std::optional<std::string> q, state;
    if (auto v = find_value(request.query, "q"); v && !v->empty()) q = checked_text(*v, "q", {1, 64});
    if (auto v = find_value(request.query, "state"); v && !v->empty())
        state = *choice_field(Json{{"state", *v}}, "state", {"pending", "approved", "declined", "failed", "reversed", "held", "started",
                                                              "expired", "abandoned", "cancelled", "antifraud"});
    std::optional<std::string> purpose;
    if (auto v = find_value(request.query, "purpose"); v && !v->empty())
        purpose = *choice_field(Json{{"purpose", *v}}, "purpose", {"subscription", "donation"});
    const std::string flagged_text = find_value(request.query, "flagged").value_or("false");
    if (flagged_text != "true" && flagged_text != "false") throw HttpError(422, "invalid_field", "flagged must be true or false.", "flagged");
    const bool flagged = flagged_text == "true";
    std::optional<long long> telegram_id;
    if (q) telegram_id = parse_id(*q);
    auto r = db().exec(payment_sql + "WHERE ($1::text IS NULL OR p.invoice = $1 OR p.provider_ref = $1 OR u.telegram_id = $2) "
                       "AND ($3::text IS NULL OR p.state = $3) AND (NOT $4 OR p.flagged_at IS NOT NULL) AND ($8::text IS NULL OR p.purpose = $8) AND " +
                       keyset_after_sql("p.created_at", "p.id", 5) + " ORDER BY p.created_at DESC, p.id DESC LIMIT $7",
                       {q, telegram_id.value_or(0), state, flagged, at, key, limit + 1, purpose});
    return Response::json(200, keyset_page(r, limit, "id", payment_json));
}

// One record with every confirmation and ePayco reference that touched it.
Response payment(const Settings& s, const Request& request, const PathParams& params) {
    require_admin(s.web, request);
    const long long id = path_id(params, "id", "payment");
    auto r = db().exec(payment_sql + "WHERE p.id = $1", {id});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such payment.");
    Json out = payment_json(r, 0);
    auto confirmations = db().exec("SELECT provider_ref, state_code, source, outcome, "
                                   "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS received_at "
                                   "FROM payment_confirmations WHERE payment_record_id = $1 ORDER BY received_at, id", {id});
    out["confirmations"] = Json::array();
    for (int i = 0; i < confirmations.rows(); ++i)
        out["confirmations"].push_back({{"provider_ref", confirmations.get(i, "provider_ref")}, {"state_code", confirmations.get_int(i, "state_code")},
                                        {"source", confirmations.get(i, "source")}, {"outcome", confirmations.get(i, "outcome")},
                                        {"received_at", confirmations.get(i, "received_at")}});
    auto refs = db().exec("SELECT provider_ref, source, state, granted_days, granted_subscription_id IS NOT NULL AS granted, "
                          "COALESCE(last_error, '') AS last_error FROM payment_references "
                          "WHERE payment_record_id = $1 OR candidate_record_id = $1 ORDER BY first_seen_at", {id});
    out["references"] = Json::array();
    for (int i = 0; i < refs.rows(); ++i)
        out["references"].push_back({{"provider_ref", refs.get(i, "provider_ref")}, {"source", refs.get(i, "source")},
                                     {"state", refs.get_opt(i, "state") ? Json(*refs.get_opt(i, "state")) : Json(nullptr)},
                                     {"granted", refs.get_bool(i, "granted")},
                                     {"granted_days", refs.get_opt(i, "granted_days") ? Json(refs.get_int(i, "granted_days")) : Json(nullptr)},
                                     {"last_error", refs.get(i, "last_error")}});
    return Response::json(200, {{"payment", out}});
}

// A message to every member or a segment, queued through the outbox (common/broadcasts).
Response broadcast(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_admin(s.web, request);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"text", "tier", "language"});
    auto text = text_field(body, "text", {1, 4096, true});
    if (!text) throw HttpError(422, "missing_field", "text is required.", "text");
    // Telegram counts UTF-16 units: a character beyond the BMP (an emoji) is two of its 4,096.
    size_t units = 0;
    for (unsigned char c : *text) units += (c & 0xC0) == 0x80 ? 0 : c >= 0xF0 ? 2 : 1;
    if (units > 4096) throw HttpError(422, "invalid_length", "text must fit Telegram's 4,096 characters (an emoji counts twice).", "text");
    BroadcastSegment segment{choice_field(body, "tier", {"free", "prime"}), choice_field(body, "language", {"en", "es"})};
    const long long id = queue_broadcast(me.user_id, *text, segment);
    return Response::json(201, {{"broadcast", broadcast_progress(id)}});
}

Response broadcast_status(const Settings& s, const Request& request, const PathParams& params) {
    require_admin(s.web, request);
    Json progress = broadcast_progress(path_id(params, "id", "broadcast"));
    if (progress.is_null()) throw HttpError(404, "not_found", "No such broadcast.");
    return Response::json(200, {{"broadcast", progress}});
}

const RoutePolicy api = body(0).limit("pnptv_api:50");
const std::string user_path = std::string(users_path) + "/:id";
const Router<Settings> routes({
    {"GET", std::string(users_path), search, api},
    {"POST", user_path + "/ban", ban, api.body(4096)},
    {"POST", user_path + "/unban", unban, api},
    {"PUT", user_path + "/role", set_role, api.body(1024)},
    {"GET", std::string(audit_path), audit_trail, api},
    {"POST", user_path + "/subscription", grant, api.body(2048)},
    {"DELETE", user_path + "/subscription", revoke, api},
    {"GET", std::string(stats_path), stats, api},
    {"POST", std::string(outbox_path) + "/:id/retry", retry_outbox, api},
    {"GET", std::string(payments_path), payments, api},
    {"GET", std::string(payments_path) + "/:id", payment, api},
    {"POST", std::string(broadcasts_path), broadcast, api.body(20 * 1024)},
    {"GET", std::string(broadcasts_path) + "/:id", broadcast_status, api},
});

}  // namespace

Settings Settings::read(SettingsReader& r) { return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r)}; }

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("admin", routes);
    return f;
}

}  // namespace admin
