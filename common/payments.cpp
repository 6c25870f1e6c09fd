#include "payments.hpp"

#include <fmt/format.h>


#include "config.hpp"
#include "epayco.hpp"
#include "log.hpp"
#include "outbox.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "session.hpp"
#include "text.hpp"

namespace pnptv {

namespace {

// ---------------------------------------------------------------- messages (EN/ES)
struct Texts {
    const char *activated_tg, *activated_subject, *activated_text, *pending_tg, *failed_tg, *reversed_tg,
        *expired_tg, *expired_subject, *expired_text, *reminder_tg, *reminder_subject, *reminder_text, *admin_reversal;
};
const Texts english = {
    "Subscription activated: {plan}. {until} Thank you for supporting PNPtv!",
    "Your PNPtv PRIME receipt ({invoice})",
    "Thank you! Your payment {invoice} of {amount} {currency} for {plan} was approved.\n{until}",
    "We received your payment {invoice}; it is pending with the bank. We'll tell you when it's confirmed.",
    "Your payment {invoice} was not completed ({state}). You have not been charged for PRIME. Send /prime to try again.",
    "Your payment {invoice} was reversed, so your PRIME access has been removed. Contact support if this is a mistake.",
    "Your PRIME subscription has ended. Send /prime to renew.",
    "Your PNPtv PRIME subscription has ended",
    "Your PRIME subscription ended on {date}. Renew any time from the bot with /prime.",
    "Your PRIME subscription ends on {date}. Send /prime to renew and keep your access.",
    "Your PNPtv PRIME subscription ends soon",
    "Your PRIME subscription ends on {date}. Renew from the bot with /prime to keep your access.",
    "Payment {invoice} (user {user}) was reversed after approval; PRIME access removed.",
};
const Texts spanish = {
    "Suscripción activada: {plan}. {until} ¡Gracias por apoyar a PNPtv!",
    "Tu recibo de PNPtv PRIME ({invoice})",
    "¡Gracias! Tu pago {invoice} de {amount} {currency} por {plan} fue aprobado.\n{until}",
    "Recibimos tu pago {invoice}; está pendiente con el banco. Te avisaremos cuando se confirme.",
    "Tu pago {invoice} no se completó ({state}). No se te cobró PRIME. Envía /prime para intentarlo de nuevo.",
    "Tu pago {invoice} fue reversado, así que tu acceso PRIME fue retirado. Contacta a soporte si es un error.",
    "Tu suscripción PRIME terminó. Envía /prime para renovarla.",
    "Tu suscripción PNPtv PRIME terminó",
    "Tu suscripción PRIME terminó el {date}. Renuévala cuando quieras desde el bot con /prime.",
    "Tu suscripción PRIME termina el {date}. Envía /prime para renovarla y mantener tu acceso.",
    "Tu suscripción PNPtv PRIME termina pronto",
    "Tu suscripción PRIME termina el {date}. Renuévala desde el bot con /prime para mantener tu acceso.",
    "El pago {invoice} (usuario {user}) fue reversado después de aprobarse; acceso PRIME retirado.",
};
const Texts& texts(std::string_view language) { return language == "es" ? spanish : english; }

Email make_email(std::string to, std::string subject, std::string text) {
    std::string html = "<!doctype html><html><body style=\"font-family:sans-serif\"><p>";
    for (char c : html_escape(text)) html += c == '\n' ? std::string("</p><p>") : std::string(1, c);
    html += "</p><p>PNPtv</p></body></html>";
    return {std::move(to), std::move(subject), std::move(text) + "\n\nPNPtv", std::move(html)};
}

bool plausible_email(const std::string& s) {
    size_t at = s.find('@');
    if (s.size() > 254 || at == std::string::npos || at == 0 || at > 64 || s.find('@', at + 1) != std::string::npos) return false;
    size_t dot = s.rfind('.');
    return dot != std::string::npos && dot > at + 1 && dot + 2 < s.size() && s.find_first_of(" \t\r\n<>") == std::string::npos;
}

// ---------------------------------------------------------------- the confirmation transaction
// The record a confirmation is about, locked, with what applying it needs; keyed by id or invoice.
constexpr std::string_view record_select = R"sql(
SELECT p.id, p.user_id, p.plan_id, p.amount = $2::numeric, upper(p.currency) = upper($3), p.state, p.invoice,
       pl.duration_days, pl.name, u.language, COALESCE(u.email, ''), u.telegram_id, p.amount::text, p.currency
  FROM payment_records p JOIN plans pl ON pl.id = p.plan_id JOIN users u ON u.id = p.user_id
)sql";
const std::string record_by_id_sql = std::string(record_select) + " WHERE p.id = $1 FOR UPDATE OF p";
const std::string record_by_invoice_sql = std::string(record_select) + " WHERE p.invoice = $1 FOR UPDATE OF p";

struct Record {
    long long id = 0, user_id = 0, telegram_id = 0;
    std::string plan_id, state, invoice, plan_name, language, email, amount, currency;
    std::optional<long long> duration_days;
    bool amount_ok = false, currency_ok = false;
};

std::optional<Record> load_record(const std::string& sql, const PgParam& key, const std::string& amount, const std::string& currency) {
    auto r = db().exec(sql, {key, amount, currency});
    if (r.rows() == 0) return std::nullopt;
    Record rec;
    rec.id = r.get_int(0, 0);
    rec.user_id = r.get_int(0, 1);
    rec.plan_id = r.get(0, 2);
    rec.amount_ok = r.get_bool(0, 3);
    rec.currency_ok = r.get_bool(0, 4);
    rec.state = r.get(0, 5);
    rec.invoice = r.get(0, 6);
    if (!r.is_null(0, 7)) rec.duration_days = r.get_int(0, 7);
    rec.plan_name = r.get(0, 8);
    rec.language = r.get(0, 9);
    rec.email = r.get(0, 10);
    rec.telegram_id = r.get_int(0, 11);
    rec.amount = r.get(0, 12);
    rec.currency = r.get(0, 13);
    return rec;
}

// The raw confirmation as kept for accounting: everything but the customer's e-mail and name.
std::string stored_payload(const Pairs& fields) {
    Json raw = Json::object();
    for (const auto& [k, v] : fields)
        if (k != "x_customer_email" && k != "x_customer_name") raw[k] = v;
    return raw.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void flag(long long payment_id, const std::string& reason) {
    db().exec("UPDATE payment_records SET flagged_at = now(), flag_reason = $2 WHERE id = $1", {payment_id, reason.substr(0, 500)});
}

void tell(const Record& rec, const std::string& text, const std::string& dedupe) {
    enqueue_telegram(rec.user_id, send_message(rec.telegram_id, text), dedupe);
}

std::string until_line(const Record& rec, const std::optional<std::string>& ends_at) {
    if (!ends_at) return rec.language == "es" ? "Acceso de por vida." : "Lifetime access.";
    return (rec.language == "es" ? "Activa hasta el " : "Active until ") + ends_at->substr(0, 10) + ".";
}

// Activates, or extends from its current end, the user's one active subscription.
std::optional<std::string> activate_subscription(const Record& rec) {
    auto current = db().exec("SELECT id, ends_at IS NULL FROM subscriptions WHERE user_id = $1 AND status = 'active' FOR UPDATE",
                             {rec.user_id});
    std::optional<long long> days = rec.duration_days;
    PgResult ends = [&] {
        if (current.rows() == 0)
            return db().exec("INSERT INTO subscriptions (user_id, plan_id, payment_record_id, status, starts_at, ends_at) "
                             "VALUES ($1, $2, $3, 'active', now(), now() + make_interval(days => $4::int)) "
                             "RETURNING to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
                             {rec.user_id, rec.plan_id, rec.id, days});
        if (current.get_bool(0, 1))  // already lifetime: extending it changes nothing
            return db().exec("SELECT NULL::text");
        return db().exec("UPDATE subscriptions SET plan_id = $2, payment_record_id = $3, reminder_sent_at = NULL, "
                         "ends_at = CASE WHEN $4::int IS NULL THEN NULL "
                         "ELSE GREATEST(ends_at, now()) + make_interval(days => $4::int) END "
                         "WHERE id = $1 RETURNING to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
                         {current.get_int(0, 0), rec.plan_id, rec.id, days});
    }();
    db().exec("UPDATE users SET tier = 'prime' WHERE id = $1", {rec.user_id});
    return ends.get_opt(0, 0);
}

// Takes back what this payment bought: the subscription it created, or the time it added.
void revoke_subscription(const Record& rec) {
    db().exec("UPDATE subscriptions SET status = 'revoked' WHERE user_id = $1 AND status = 'active' "
              "AND (payment_record_id = $2 OR (ends_at IS NOT NULL AND $3::int IS NOT NULL "
              "     AND ends_at - make_interval(days => $3::int) <= now()))",
              {rec.user_id, rec.id, rec.duration_days});
    db().exec("UPDATE subscriptions SET ends_at = ends_at - make_interval(days => $2::int) "
              "WHERE user_id = $1 AND status = 'active' AND ends_at IS NOT NULL AND $2::int IS NOT NULL",
              {rec.user_id, rec.duration_days});
    db().exec("UPDATE users SET tier = 'free' WHERE id = $1 "
              "AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 AND status = 'active')",
              {rec.user_id});
}

std::string format_text(const char* pattern, const Record& rec, const std::string& extra_name = {}, const std::string& extra = {}) {
    return fmt::format(fmt::runtime(pattern), fmt::arg("plan", rec.plan_name), fmt::arg("invoice", rec.invoice),
                       fmt::arg("amount", rec.amount), fmt::arg("currency", rec.currency), fmt::arg("user", rec.user_id),
                       fmt::arg("state", extra_name == "state" ? extra : ""), fmt::arg("until", extra_name == "until" ? extra : ""),
                       fmt::arg("date", ""));
}

}  // namespace

void record_unverified_claim(const Pairs& fields, int claimed_code) {
    auto get = [&](const char* k) { return find_value(fields, k).value_or(""); };
    db().transaction([&] {
        auto stored = db().exec("INSERT INTO payment_confirmations (provider_ref, state_code, raw_payload, outcome) "
                                "VALUES ($1, $2, $3::jsonb, 'state_not_confirmed') ON CONFLICT DO NOTHING RETURNING id",
                                {get("x_ref_payco"), -claimed_code, stored_payload(fields)});
        const std::string extra3 = get("x_extra3");
        if (stored.rows() == 0 || extra3.empty() || extra3.size() > 18 || extra3.find_first_not_of("0123456789") != std::string::npos)
            return;
        db().exec("UPDATE payment_records SET provider_ref = COALESCE(provider_ref, $2), flagged_at = now(), "
                  "flag_reason = $3 WHERE id = $1",
                  {std::stoll(extra3), get("x_ref_payco"), "ePayco did not confirm the claimed state " + std::to_string(claimed_code)});
    });
}

std::optional<int> confirmation_state_code(const Pairs& fields) {
    for (const char* key : {"x_cod_transaction_state", "x_cod_response"}) {
        std::string v = find_value(fields, key).value_or("");
        if (v.empty()) continue;
        if (v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        return std::stoi(v);
    }
    return std::nullopt;
}

std::optional<std::string> find_invoice_token(std::string_view decorated) {
    constexpr size_t length = 16;  // "PNP-" + 12 of [A-Z0-9]
    std::string_view s = decorated.substr(0, 256);
    for (size_t at = s.find("PNP-"); at != std::string_view::npos; at = s.find("PNP-", at + 1)) {
        std::string_view token = s.substr(at, length);
        bool starts_alone = at == 0 || !is_ascii_alnum(s[at - 1]);
        bool ends_alone = at + length == s.size() || (at + length < s.size() && !is_ascii_alnum(s[at + length]));
        if (token.size() == length && starts_alone && ends_alone && only_chars(token.substr(4), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
            return std::string(token);
    }
    return std::nullopt;
}

ConfirmationOutcome apply_confirmation(const Pairs& fields, int code, std::string_view source) {
    auto get = [&](const char* k) { return find_value(fields, k).value_or(""); };
    const std::string ref = get("x_ref_payco"), amount = get("x_amount"), currency = get("x_currency_code");
    ConfirmationOutcome out;
    long long touched_user = 0;
    db().transaction([&] {
        auto stored = db().exec("INSERT INTO payment_confirmations (provider_ref, state_code, source, raw_payload, outcome) "
                                "VALUES ($1, $2, $3, $4::jsonb, 'received') ON CONFLICT (provider_ref, state_code) DO NOTHING "
                                "RETURNING id", {ref, code, std::string(source), stored_payload(fields)});
        if (stored.rows() == 0) {
            out.outcome = "replay";
            return;
        }
        const long long confirmation_id = stored.get_int(0, 0);
        auto finish = [&](const std::string& outcome) {
            out.outcome = outcome;
            db().exec("UPDATE payment_confirmations SET outcome = $2, payment_record_id = NULLIF($3::bigint, 0) WHERE id = $1",
                      {confirmation_id, outcome, out.payment_id});
        };

        std::optional<Record> rec;
        const std::string extra3 = get("x_extra3");
        if (!extra3.empty()) {
            if (extra3.size() > 18 || extra3.find_first_not_of("0123456789") != std::string::npos) return finish("unmatched");
            rec = load_record(record_by_id_sql, PgParam(std::stoll(extra3)), amount, currency);
            if (rec && (get("x_extra1") != std::to_string(rec->user_id) || get("x_extra2") != rec->plan_id)) {
                out.payment_id = rec->id;
                flag(rec->id, "confirmation extras disagree with the record");
                return finish("extras_mismatch");
            }
        } else if (auto invoice = find_invoice_token(get("x_id_invoice"))) {
            rec = load_record(record_by_invoice_sql, PgParam(*invoice), amount, currency);
        }
        if (!rec) return finish("unmatched");
        out.payment_id = rec->id;
        out.state = rec->state;
        if (!rec->amount_ok || !rec->currency_ok) {
            flag(rec->id, "amount or currency mismatch: got " + amount + " " + currency);
            return finish("amount_mismatch");
        }
        auto state = epayco_state_name(code);
        if (!epayco_transition_allowed(rec->state, code)) return finish("ignored_transition");
        const Texts& t = texts(rec->language);
        const std::string key = std::to_string(rec->id);
        if (!state) {  // unknown code: kept, pending-like, for an admin to look at
            flag(rec->id, "unknown ePayco state code " + std::to_string(code));
            db().exec("UPDATE payment_records SET state_code = $2, provider_ref = $3 WHERE id = $1", {rec->id, code, ref});
            return finish("unknown_state");
        }
        db().exec("UPDATE payment_records SET state = $2, state_code = $3, provider_ref = $4, "
                  "approved_at = CASE WHEN $3 = 1 THEN now() ELSE approved_at END WHERE id = $1",
                  {rec->id, *state, code, ref});
        out.state = *state;
        touched_user = rec->user_id;
        if (code == 1) {
            auto ends = activate_subscription(*rec);
            std::string until = until_line(*rec, ends);
            tell(*rec, format_text(t.activated_tg, *rec, "until", until), "activation:" + key + ":telegram");
            std::string to = rec->email.empty() ? get("x_customer_email") : rec->email;
            if (plausible_email(to))
                enqueue_email(rec->user_id, make_email(to, format_text(t.activated_subject, *rec),
                                                       format_text(t.activated_text, *rec, "until", until)),
                              "activation:" + key + ":email");
        } else if (code == 6) {
            revoke_subscription(*rec);
            flag(rec->id, "reversed after approval");
            tell(*rec, format_text(t.reversed_tg, *rec), "reversal:" + key + ":telegram");
            db().exec("INSERT INTO outbox (kind, user_id, payload, dedupe_key) "
                      "SELECT 'telegram', a.id, jsonb_build_object('method', 'sendMessage', 'chat_id', a.telegram_id, "
                      "'text', CASE WHEN a.language = 'es' THEN $2 ELSE $3 END), 'reversal:' || $1 || ':admin:' || a.id "
                      "FROM users a WHERE a.role = 'admin' AND a.banned_at IS NULL ON CONFLICT (dedupe_key) DO NOTHING",
                      {rec->id, format_text(spanish.admin_reversal, *rec), format_text(english.admin_reversal, *rec)});
        } else if (code == 3 || code == 7 || code == 8) {
            tell(*rec, format_text(t.pending_tg, *rec), "pending:" + key + ":telegram");
        } else {
            tell(*rec, format_text(t.failed_tg, *rec, "state", *state), "final:" + key + ":" + std::to_string(code));
        }
        finish("applied");
    });
    if (touched_user) refresh_user_authz(touched_user);
    log_event(LogLevel::info, "payment_confirmation",
              {{"ref_payco", ref}, {"state_code", code}, {"source", source}, {"outcome", out.outcome}, {"payment_id", out.payment_id}});
    return out;
}

namespace {
// One message to a user about their subscription, in their language, on Telegram and by email.
void notify_subscription(long long user_id, long long telegram_id, const std::string& language, const std::string& email,
                         const char* Texts::*tg, const char* Texts::*subject, const char* Texts::*text,
                         const std::string& date, const std::string& dedupe) {
    const Texts& t = texts(language);
    auto fill = [&](const char* pattern) { return fmt::format(fmt::runtime(pattern), fmt::arg("date", date)); };
    enqueue_telegram(user_id, send_message(telegram_id, fill(t.*tg)), dedupe + ":telegram");
    if (plausible_email(email)) enqueue_email(user_id, make_email(email, fill(t.*subject), fill(t.*text)), dedupe + ":email");
}
}  // namespace

int reconcile_pending_payments() {
    const long long minutes = setting_int("EPAYCO_RECONCILE_AFTER_MINUTES", 15);
    auto due = db().exec("SELECT id, provider_ref FROM payment_records "
                         "WHERE state IN ('pending', 'held', 'started') AND provider_ref IS NOT NULL "
                         "AND updated_at < now() - make_interval(mins => $1::int) ORDER BY updated_at LIMIT 50",
                         {minutes});
    int applied = 0;
    for (int i = 0; i < due.rows(); ++i) {
        auto v = epayco_validate_reference(due.get(i, 1));
        if (!v.reachable) break;  // try again next round
        // Asked: not again before the next interval, whatever the answer.
        db().exec("UPDATE payment_records SET updated_at = now() WHERE id = $1", {due.get_int(i, 0)});
        if (!v.found) continue;
        auto code = confirmation_state_code(v.fields);
        if (!code) continue;
        if (apply_confirmation(v.fields, *code, "reconciliation").outcome == "applied") ++applied;
    }
    return applied;
}

int expire_subscriptions() {
    std::vector<long long> users;
    db().transaction([&] {
        auto ended = db().exec(
            "WITH ended AS (UPDATE subscriptions SET status = 'expired' "
            "  WHERE status = 'active' AND ends_at IS NOT NULL AND ends_at <= now() "
            "  RETURNING id, user_id, to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS ended_on) "
            "UPDATE users u SET tier = 'free' FROM ended WHERE u.id = ended.user_id "
            "RETURNING ended.id, u.id, u.telegram_id, u.language, COALESCE(u.email, ''), ended.ended_on");
        for (int i = 0; i < ended.rows(); ++i) {
            users.push_back(ended.get_int(i, 1));
            notify_subscription(ended.get_int(i, 1), ended.get_int(i, 2), ended.get(i, 3), ended.get(i, 4),
                                &Texts::expired_tg, &Texts::expired_subject, &Texts::expired_text, ended.get(i, 5),
                                "expired:" + ended.get(i, 0));
        }
    });
    for (long long u : users) refresh_user_authz(u);
    return static_cast<int>(users.size());
}

int send_expiry_reminders() {
    int sent = 0;
    db().transaction([&] {
        auto due = db().exec(
            "UPDATE subscriptions s SET reminder_sent_at = now() FROM users u "
            "WHERE u.id = s.user_id AND s.status = 'active' AND s.reminder_sent_at IS NULL AND s.ends_at IS NOT NULL "
            "  AND s.ends_at > now() AND s.ends_at <= now() + interval '3 days' "
            "RETURNING s.id, u.id, u.telegram_id, u.language, COALESCE(u.email, ''), "
            "          to_char(s.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')");
        for (int i = 0; i < due.rows(); ++i, ++sent)
            notify_subscription(due.get_int(i, 1), due.get_int(i, 2), due.get(i, 3), due.get(i, 4), &Texts::reminder_tg,
                                &Texts::reminder_subject, &Texts::reminder_text, due.get(i, 5),
                                "reminder:" + due.get(i, 0) + ":" + due.get(i, 5));
    });
    return sent;
}

int prune_delivered_outbox() {
    return db().exec("DELETE FROM outbox WHERE delivered_at < now() - make_interval(days => $1::int)",
                     {setting_int("OUTBOX_RETENTION_DAYS", 30)}).affected();
}

void refresh_user_authz(long long user_id) {
    // Drops user:<id>:* (cached profile, feed …) server-side in one round trip.
    static const RedisScript drop_cached(R"lua(
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 100)
  cursor = page[1]
  for _, key in ipairs(page[2]) do redis.call('DEL', key) end
until cursor == '0'
return 1
)lua");
    auto u = db().exec("SELECT banned_at IS NOT NULL, role, tier FROM users WHERE id = $1", {user_id});
    if (u.rows() == 0) return;
    redis().eval(drop_cached, {}, {"user:" + std::to_string(user_id) + ":*"});
    // Then the record the guard reads (it matched the pattern above, so it is written last).
    write_authz(user_id, u.get_bool(0, 0), u.get(0, 1), u.get(0, 2));
}

}  // namespace pnptv
