#include "payment_confirmation.hpp"

#include <variant>

#include "authz.hpp"
#include "live.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "outbox.hpp"
#include "pg.hpp"
#include "realtime.hpp"
#include "subscriptions.hpp"
#include "text.hpp"

namespace pnptv {

namespace {

constexpr std::string_view record_sql = R"sql(
SELECT p.id, p.user_id, p.purpose, COALESCE(p.plan_id, '') AS plan_id, p.state, p.invoice, p.amount::text AS amount, p.currency,
       p.amount = $2::numeric AS amount_ok, pl.duration_days, COALESCE(pl.name, '') AS plan_name, u.language,
       COALESCE(u.email, '') AS email, COALESCE(u.telegram_id, 0) AS telegram_id, u.deleted_at IS NOT NULL AS deleted,
       p.live_stream_id, COALESCE(p.donation_message, '') AS donation_message,
       COALESCE(u.display_name, NULLIF(u.first_name, ''), 'PNPtv') AS buyer_name
  FROM payment_records p LEFT JOIN plans pl ON pl.id = p.plan_id JOIN users u ON u.id = p.user_id
)sql";
const std::string record_by_id_sql = std::string(record_sql) + " WHERE p.id = $1 FOR UPDATE OF p";
const std::string record_by_invoice_sql = std::string(record_sql) + " WHERE p.invoice = $1 FOR UPDATE OF p";

constexpr const char* reference_sql =
    "SELECT source, payment_record_id, state_code, granted_subscription_id, granted_days "
    "FROM payment_references WHERE provider_ref = $1 FOR UPDATE";
// The log keeps one row per (reference, state code), with the latest answer and what it led to.
constexpr const char* log_answer_sql =
    "INSERT INTO payment_confirmations (provider_ref, state_code, source, raw_payload, outcome) "
    "VALUES ($1, $2, $3, $4::jsonb, 'received') ON CONFLICT (provider_ref, state_code) DO UPDATE "
    "SET raw_payload = EXCLUDED.raw_payload, outcome = 'received', payment_record_id = NULL, received_at = now() RETURNING id";
constexpr const char* log_outcome_sql =
    "UPDATE payment_confirmations SET outcome = $2, payment_record_id = $3 WHERE id = $1";
constexpr const char* other_approved_sql =
    "SELECT provider_ref FROM payment_references WHERE payment_record_id = $1 AND state = 'approved' "
    "AND provider_ref <> $2 ORDER BY first_seen_at LIMIT 1";
// The reference after ePayco's answer: bound to its record and state when applied, checked, done
// until something new is heard (or recheck_seconds after a claim that came in meanwhile).
constexpr const char* settle_reference_sql =
    "UPDATE payment_references SET payment_record_id = COALESCE($2, payment_record_id), state = COALESCE($3, state), "
    "state_code = COALESCE($4, state_code), last_error = $5, claimed_until = NULL, checked_at = now(), attempts = 0, "
    "due_at = CASE WHEN recheck THEN now() + make_interval(secs => $6) END, recheck = false WHERE provider_ref = $1";
constexpr const char* store_grant_sql =
    "UPDATE payment_references SET granted_subscription_id = $2, granted_days = $3 WHERE provider_ref = $1";
constexpr const char* record_state_sql =
    "UPDATE payment_records SET state = $2, state_code = $3, "
    "approved_at = CASE WHEN $3 = 1 THEN COALESCE(approved_at, now()) ELSE approved_at END, "
    "provider_ref = COALESCE(provider_ref, $4) WHERE id = $1";
constexpr const char* flag_sql = "UPDATE payment_records SET flagged_at = now(), flag_reason = $2 WHERE id = $1";
// One notice per admin, in their language.
constexpr const char* tell_admins_sql = R"sql(
INSERT INTO outbox (kind, user_id, payload, dedupe_key)
SELECT 'telegram', a.id, jsonb_build_object('method', 'sendMessage', 'chat_id', a.telegram_id,
       'text', CASE WHEN a.language = 'es' THEN $2 ELSE $3 END), $1 || ':admin:' || a.id
  FROM users a WHERE a.role = 'admin' AND a.banned_at IS NULL
ON CONFLICT (dedupe_key) DO NOTHING
)sql";

struct Record {
    long long id = 0, user_id = 0, telegram_id = 0;
    std::string purpose, plan_id, state, invoice, plan_name, language, email, amount, currency;
    std::optional<long long> stream_id;  // a donation's live stream (gone: none)
    std::string donation_message, buyer_name;
    std::optional<int> duration_days;
    bool amount_ok = false;
    bool account_deleted = false;  // the buyer deleted their account: nobody to grant or tell
};

std::optional<Record> load_record(const std::string& sql, const PgParam& key, const std::string& amount) {
    auto r = db().exec(sql, {key, amount});
    if (r.rows() == 0) return std::nullopt;
    Record rec;
    rec.id = r.get_int(0, "id");
    rec.user_id = r.get_int(0, "user_id");
    rec.account_deleted = r.get_bool(0, "deleted");
    rec.telegram_id = r.get_int(0, "telegram_id");
    rec.purpose = r.get(0, "purpose");
    rec.plan_id = r.get(0, "plan_id");
    if (auto stream = r.get_opt(0, "live_stream_id")) rec.stream_id = std::stoll(*stream);
    rec.donation_message = r.get(0, "donation_message");
    rec.buyer_name = r.get(0, "buyer_name");
    rec.state = r.get(0, "state");
    rec.invoice = r.get(0, "invoice");
    rec.amount = r.get(0, "amount");
    rec.currency = r.get(0, "currency");
    rec.amount_ok = r.get_bool(0, "amount_ok");
    if (auto d = r.get_opt(0, "duration_days")) rec.duration_days = std::stoi(*d);
    rec.plan_name = r.get(0, "plan_name");
    rec.language = r.get(0, "language");
    rec.email = r.get(0, "email");
    return rec;
}


// The record ePayco's answer is about, or why it can't be ours. The extras are checked first;
// only an answer with no extras at all is matched by its invoice.
std::variant<Record, std::string> match_record(const EpaycoTransaction& t) {
    if (!is_decimal(t.amount)) return std::string("amount is not a decimal");
    std::optional<Record> rec;
    if (!t.extra1.empty() || !t.extra2.empty() || !t.extra3.empty()) {
        auto record_id = parse_id(t.extra3);
        if (!record_id) return std::string("extra3 names no record");
        rec = load_record(record_by_id_sql, PgParam(*record_id), t.amount);
        if (!rec) return std::string("extra3 names no record");
        // extra2 names the plan, or says "donation" (functions/payment: the checkout's extras).
        const std::string what = rec->purpose == "donation" ? std::string("donation") : rec->plan_id;
        if (t.extra1 != std::to_string(rec->user_id) || t.extra2 != what) return std::string("extras disagree with the record");
    } else if (auto invoice = find_invoice_token(t.invoice)) {
        rec = load_record(record_by_invoice_sql, PgParam(*invoice), t.amount);
        if (!rec) return std::string("invoice names no record");
    } else {
        return std::string("no extras and no invoice of ours");
    }
    if (find_invoice_token(t.invoice) != rec->invoice) return std::string("invoice disagrees with the record");
    if (!rec->amount_ok) return "amount " + t.amount + " is not the record's " + rec->amount;
    if (to_lower(t.currency) != to_lower(rec->currency)) return "currency " + t.currency + " is not the record's " + rec->currency;
    return *rec;
}

// A reference's own state moves like this; anything else is ignored (and logged).
bool reference_transition_allowed(std::optional<int> from, int to) {
    using enum EpaycoOutcome;
    auto outcome = [](int code) { auto s = epayco_state(code); return s ? s->outcome : open; };
    if (outcome(to) == reversed) return from && outcome(*from) == approved;  // only an approval can be reversed
    if (!from || outcome(*from) == open) return true;
    if (outcome(*from) == approved || outcome(*from) == reversed) return false;
    return outcome(to) == approved;  // a refusal ePayco later approves: its word wins
}

struct Context {
    const EpaycoTransaction& t;
    int code;
    Record& rec;
    std::optional<Grant> earlier_grant;  // what this reference granted before (for a reversal)
};

void tell_user(const Context& c, const std::string& text, const std::string& dedupe) {
    if (c.rec.telegram_id == 0) return;  // a deleted account: nobody to tell on Telegram
    enqueue_telegram(c.rec.user_id, send_message(c.rec.telegram_id, text), dedupe);
}

void tell_admins(const Context& c, const char* key, const std::string& dedupe, const std::string& first_ref = {}) {
    auto text = [&](const char* language) {
        return say(language, key, {{"invoice", c.rec.invoice}, {"user", std::to_string(c.rec.user_id)}, {"ref", c.t.ref},
                                   {"first_ref", first_ref}});
    };
    db().exec(tell_admins_sql, {dedupe, text("es"), text("en")});
}

// A tip: nothing granted. The record is the donation; the stream's room hears it (name, amount,
// message and the host's new total in that currency), the host and the donor are told.
// The host's running total in the record's currency, with the stream's row locked: two tips
// approved at once announce totals that include each other.
std::optional<std::string> donation_total(const Record& rec) {
    if (!rec.stream_id) return std::nullopt;
    if (db().exec("SELECT 1 FROM live_streams WHERE id = $1 FOR UPDATE", {*rec.stream_id}).rows() == 0) return std::nullopt;
    return db().exec("SELECT COALESCE(sum(amount), 0)::text FROM payment_records WHERE live_stream_id = $1 AND currency = $2 AND " +
                     std::string(counted_donation_sql), {*rec.stream_id, rec.currency}).get(0, 0);
}

// A tip: nothing granted. The record is the donation; the stream's room hears it (name, amount,
// message and the host's new total in that currency), the host and the donor are told. The
// message is left out when the donor is banned or muted in the stream's room by then.
void approve_donation(Context& c, bool second) {
    db().exec(record_state_sql, {c.rec.id, "approved", 1, c.t.ref});
    c.rec.state = "approved";
    if (second) return;  // the room heard of this donation already
    auto total = donation_total(c.rec);
    if (!total) return;
    auto host = db().exec("SELECT h.id, COALESCE(h.telegram_id, 0) AS telegram_id, h.language, h.unreachable_at IS NULL AS reachable, "
                          "(SELECT u.banned_at IS NULL AND NOT EXISTS (SELECT 1 FROM chat_mutes m WHERE m.room = $2 AND m.user_id = u.id "
                          "   AND m.until > now()) FROM users u WHERE u.id = $3) AS donor_may_speak "
                          "FROM live_streams s JOIN users h ON h.id = s.host_id WHERE s.id = $1",
                          {*c.rec.stream_id, live_room(*c.rec.stream_id), c.rec.user_id});
    const std::string message = host.get_bool(0, "donor_may_speak") ? c.rec.donation_message : "";
    Json donation = {{"id", c.rec.id}, {"from", c.rec.buyer_name}, {"amount", c.rec.amount}, {"currency", c.rec.currency},
                     {"message", message.empty() ? Json(nullptr) : Json(message)}, {"total", *total}};
    enqueue_realtime_event(room_channel(live_room(*c.rec.stream_id)), {{"type", "donation"}, {"donation", donation}},
                           "donation:" + c.t.ref);
    const std::initializer_list<std::pair<const char*, std::string>> args = {
        {"from", c.rec.buyer_name}, {"amount", c.rec.amount}, {"currency", c.rec.currency}, {"message", message}};
    if (host.get_int(0, "telegram_id") && host.get_bool(0, "reachable"))
        enqueue_telegram(host.get_int(0, "id"), send_message(host.get_int(0, "telegram_id"),
                                                             say(host.get(0, "language"), message.empty() ? "donation_received" : "donation_received_message", args)),
                         "donation:" + c.t.ref + ":host");
    tell_user(c, say(c.rec.language, "donation_thanks", args), "donation:" + c.t.ref + ":telegram");
}

void approve(Context& c) {
    if (c.rec.account_deleted) {
        // The money came, the person is gone: the record says paid, admins refund it.
        db().exec(record_state_sql, {c.rec.id, "approved", 1, c.t.ref});
        db().exec(flag_sql, {c.rec.id, "approved after the account was deleted: refund it"});  // a tip of it counts for no host
        c.rec.state = "approved";
        log_event(LogLevel::warn, "payment_for_deleted_account", {{"payment_id", c.rec.id}, {"ref_payco", c.t.ref}});
        tell_admins(c, "admin_deleted_account_payment", "deleted-account:" + c.t.ref);
        return;
    }
    auto earlier = db().exec(other_approved_sql, {c.rec.id, c.t.ref});
    if (c.rec.purpose == "donation") {
        approve_donation(c, earlier.rows() > 0);
        if (earlier.rows()) {
            log_event(LogLevel::warn, "payment_second_approval", {{"payment_id", c.rec.id}, {"ref_payco", c.t.ref}});
            tell_admins(c, "admin_second_payment", "second-payment:" + c.t.ref, earlier.get(0, 0));
        }
        return;
    }
    Grant g = grant_subscription(c.rec.user_id, c.rec.plan_id, c.rec.duration_days, c.rec.id);
    db().exec(store_grant_sql, {c.t.ref, g.subscription_id, g.days});
    if (!record_state_open(c.rec.state) && c.rec.state != "approved")
        log_event(LogLevel::warn, "payment_late_approval", {{"payment_id", c.rec.id}, {"was", c.rec.state}, {"ref_payco", c.t.ref}});
    db().exec(record_state_sql, {c.rec.id, "approved", 1, c.t.ref});
    c.rec.state = "approved";
    const std::string& lang = c.rec.language;
    const std::string until = g.ends_on ? say(lang, "payment_until", {{"date", *g.ends_on}}) : say(lang, "payment_lifetime");
    std::initializer_list<std::pair<const char*, std::string>> args = {
        {"plan", c.rec.plan_name}, {"invoice", c.rec.invoice}, {"amount", c.rec.amount}, {"currency", c.rec.currency}, {"until", until}};
    tell_user(c, say(lang, "payment_activated", args), "activation:" + c.t.ref + ":telegram");
    std::string to = c.rec.email.empty() ? c.t.customer_email : c.rec.email;
    if (plausible_email(to))
        enqueue_email(c.rec.user_id, make_email(to, say(lang, "payment_receipt_subject", args), say(lang, "payment_receipt_text", args)),
                      "activation:" + c.t.ref + ":email");
    if (earlier.rows()) {
        // Two transactions paid for one checkout (two tabs, a retry): both bought time.
        log_event(LogLevel::warn, "payment_second_approval", {{"payment_id", c.rec.id}, {"ref_payco", c.t.ref}});
        tell_admins(c, "admin_second_payment", "second-payment:" + c.t.ref, earlier.get(0, 0));
    }
}

void reverse(Context& c) {
    if (c.earlier_grant) take_back_grant(c.rec.user_id, *c.earlier_grant);
    bool still_paid = db().exec(other_approved_sql, {c.rec.id, c.t.ref}).rows() > 0;
    if (!still_paid) {
        db().exec(record_state_sql, {c.rec.id, "reversed", 6, c.t.ref});
        c.rec.state = "reversed";
    }
    db().exec(flag_sql, {c.rec.id, "reference " + c.t.ref + " reversed after approval"});
    if (c.rec.purpose == "donation")
        if (auto total = donation_total(c.rec))  // the room's total drops with it
            enqueue_realtime_event(room_channel(live_room(*c.rec.stream_id)),
                                   {{"type", "donation_reversed"}, {"donation", {{"id", c.rec.id}, {"currency", c.rec.currency}, {"total", *total}}}},
                                   "donation-reversed:" + c.t.ref);
    tell_user(c, say(c.rec.language, c.rec.purpose == "donation" ? "donation_reversed" : "payment_reversed", {{"invoice", c.rec.invoice}}),
              "reversal:" + c.t.ref + ":telegram");
    tell_admins(c, "admin_payment_reversed", "reversal:" + c.t.ref);
}

// Pending, held, started: the record shows it while nothing final has happened to it.
void still_open(Context& c) {
    if (!record_state_open(c.rec.state)) return;
    c.rec.state = *epayco_state_name(c.code);
    db().exec(record_state_sql, {c.rec.id, c.rec.state, c.code, c.t.ref});
    tell_user(c, say(c.rec.language, "payment_pending", {{"invoice", c.rec.invoice}}), "pending:" + c.t.ref + ":telegram");
}

// Declined, failed, expired …: final for this transaction; the record follows only if nothing
// else (another approved transaction) has decided it.
void refused(Context& c) {
    if (!record_state_open(c.rec.state)) return;
    c.rec.state = *epayco_state_name(c.code);
    db().exec(record_state_sql, {c.rec.id, c.rec.state, c.code, c.t.ref});
    tell_user(c, say(c.rec.language, "payment_failed", {{"invoice", c.rec.invoice}, {"state", c.rec.state}}),
              "final:" + c.t.ref + ":" + std::to_string(c.code));
}

// A code we don't know: kept, pending-like, for an admin to look at.
void unknown(Context& c) {
    db().exec(flag_sql, {c.rec.id, "unknown ePayco state code " + std::to_string(c.code)});
}

using Effect = void (*)(Context&);
// Per-state effects: the outcome of the code (epayco_state) picks one.
Effect effect_of(int code) {
    auto state = epayco_state(code);
    if (!state) return unknown;
    switch (state->outcome) {
        case EpaycoOutcome::approved: return approve;
        case EpaycoOutcome::reversed: return reverse;
        case EpaycoOutcome::open: return still_open;
        case EpaycoOutcome::refused: return refused;
    }
    return unknown;
}

std::optional<Grant> grant_of(const PgResult& ref) {
    auto subscription = ref.get_opt(0, "granted_subscription_id");
    if (!subscription) return std::nullopt;
    Grant g;
    g.subscription_id = std::stoll(*subscription);
    if (auto d = ref.get_opt(0, "granted_days")) g.days = std::stoi(*d);
    return g;
}

}  // namespace

ConfirmationOutcome apply_verified_transaction(const EpaycoTransaction& t, int recheck_seconds) {
    const int code = *t.state_code;
    ConfirmationOutcome out;
    long long touched_user = 0;
    db().transaction([&] {
        PgResult ref = [&] {
            auto known = db().exec(reference_sql, {t.ref});
            if (known.rows()) return known;
            // The verifier asks only about references it has a row for; anyone else gets one.
            db().exec("INSERT INTO payment_references (provider_ref, source, due_at) VALUES ($1, 'reconciliation', NULL)", {t.ref});
            return db().exec(reference_sql, {t.ref});
        }();
        auto settle = [&](std::optional<long long> record, std::optional<int> applied_code) {
            std::optional<std::string> state, error;
            if (applied_code) state = epayco_state_name(*applied_code).value_or("unknown");
            if (out.outcome == "mismatch") error = ("mismatch: " + out.detail).substr(0, 500);
            db().exec(settle_reference_sql, {t.ref, record, state, applied_code, error, recheck_seconds});
        };
        std::optional<int> from;
        if (auto c = ref.get_opt(0, "state_code")) from = std::stoi(*c);
        if (from == code) {  // already applied: the reference's own state says so
            out.outcome = "replay";
            return settle(std::nullopt, std::nullopt);
        }
        auto logged = db().exec(log_answer_sql, {t.ref, code, ref.get(0, "source"), jsonb_text(epayco_audit_payload(t.fields))});
        const long long log_id = logged.get_int(0, 0);
        auto matched = match_record(t);
        if (auto* why = std::get_if<std::string>(&matched)) {
            out.outcome = "mismatch";
            out.detail = *why;
            db().exec(log_outcome_sql, {log_id, "mismatch", std::nullopt});
            return settle(std::nullopt, std::nullopt);
        }
        Record& rec = std::get<Record>(matched);
        out.payment_id = rec.id;
        out.state = rec.state;
        auto bound = ref.get_opt(0, "payment_record_id");
        if (bound && *bound != std::to_string(rec.id)) {
            out.outcome = "mismatch";
            out.detail = "the reference belongs to record " + *bound;
            db().exec(log_outcome_sql, {log_id, "mismatch", std::nullopt});
            return settle(std::nullopt, std::nullopt);
        }
        if (!reference_transition_allowed(from, code)) {
            out.outcome = "ignored_transition";
            db().exec(log_outcome_sql, {log_id, out.outcome, rec.id});
            return settle(std::nullopt, std::nullopt);
        }
        Context c{t, code, rec, grant_of(ref)};
        effect_of(code)(c);
        db().exec(log_outcome_sql, {log_id, "applied", rec.id});
        out.outcome = "applied";
        out.state = rec.state;
        settle(rec.id, code);
        if (code == 1 || code == 6) touched_user = rec.user_id;
    });
    if (touched_user) project_users_now({touched_user});
    LogLevel level = out.outcome == "mismatch" ? LogLevel::warn : LogLevel::info;
    log_event(level, "payment_confirmation",
              {{"ref_payco", t.ref}, {"state_code", code}, {"outcome", out.outcome}, {"detail", out.detail},
               {"payment_id", out.payment_id}});
    return out;
}

}  // namespace pnptv
