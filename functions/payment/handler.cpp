#include "handler.hpp"

#include "../epayco-webhook/handler.hpp"

#include <ctime>

#include "crypto.hpp"
#include "fields.hpp"
#include "epayco.hpp"
#include "log.hpp"
#include "pages.hpp"
#include "payment_link.hpp"
#include "payment_references.hpp"
#include "pg.hpp"
#include "rate_limit.hpp"
#include "rbac.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace payment {

using namespace pnptv;

namespace {

constexpr const char* plans_sql =
    "SELECT id, name, price::text AS price, currency, duration_days, tier FROM plans WHERE active ORDER BY price, id";

// "PNP-" + 12 of [A-Z0-9]: a whole token ePayco may decorate but never extend.
std::string new_invoice() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string out = "PNP-";
    for (unsigned char c : random_bytes(12)) out.push_back(alphabet[c % 36]);
    return out;
}

Response plans(const Settings&, const Request&, const PathParams&) {
    auto r = db().exec(plans_sql);
    Json list = Json::array();
    for (int i = 0; i < r.rows(); ++i)
        list.push_back({{"id", r.get(i, "id")}, {"name", r.get(i, "name")}, {"price", r.get(i, "price")},
                        {"currency", r.get(i, "currency")},
                        {"duration_days", r.is_null(i, "duration_days") ? Json(nullptr) : Json(r.get_int(i, "duration_days"))},
                        {"tier", r.get(i, "tier")}});
    Response resp = Response::json(200, {{"plans", list}});
    resp.headers.emplace_back("Cache-Control", "public, max-age=60");
    return resp;
}

// A checkout opened again (a link preview, a refresh, a second click) reuses the user's open
// record for that plan while it is young and ePayco has told us nothing about it.
// (At today's price: a record made before a price change is left alone.)
constexpr const char* reusable_record_sql = R"sql(
SELECT p.id, p.invoice, p.provider_session_id, p.created_at > now() - interval '15 minutes' AS session_fresh
  FROM payment_records p JOIN plans pl ON pl.id = p.plan_id
 WHERE p.user_id = $1 AND p.plan_id = $2 AND p.state = 'pending' AND p.provider_ref IS NULL
   AND p.amount = pl.price AND p.currency = pl.currency
   AND p.created_at > now() - make_interval(mins => $3)
   AND NOT EXISTS (SELECT 1 FROM payment_references r WHERE r.payment_record_id = p.id OR r.candidate_record_id = p.id)
 ORDER BY p.id DESC LIMIT 1
)sql";

// Who may pay: a known, adult, unbanned account (its row locked for the caller's transaction).
// Returns their language.
std::string check_buyer(long long user_id) {
    auto user = db().exec("SELECT banned_at IS NOT NULL AS banned, age_verified_at IS NOT NULL AS adult, language "
                          "FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", {user_id});
    if (user.rows() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
    if (user.get_bool(0, "banned")) throw HttpError(403, "banned", "This account is banned.");
    if (!user.get_bool(0, "adult"))
        throw HttpError(403, "age_verification_required", "Confirm you are 18 or older first (on the hub, or /start in the bot).");
    return user.get(0, "language");
}

struct OpenRecord {
    long long id = 0;
    std::string invoice, language, plan_name, price, currency;
    std::optional<std::string> session_id;  // a fresh Checkout v2 session already made for it
    bool created = false;
};

// Checks the buyer and the plan and finds or writes the pending record, with the user's row
// locked so two requests at once agree on one record. The amount is ours, from the plan.
OpenRecord open_record(long long user_id, const std::string& plan_id) {
    // Each checkout may cost a session at ePayco and a record here: a person needs a few an hour.
    enforce_rate_limit("checkout", std::to_string(user_id), 30, 3600);
    OpenRecord rec;
    db().transaction([&] {
        rec.language = check_buyer(user_id);
        auto plan = db().exec("SELECT name, price::text AS price, currency FROM plans WHERE id = $1 AND active", {plan_id});
        if (plan.rows() == 0) throw HttpError(422, "unknown_plan", "No such plan is on sale.", "plan_id");
        rec.plan_name = plan.get(0, "name");
        rec.price = plan.get(0, "price");
        rec.currency = plan.get(0, "currency");
        auto open = db().exec(reusable_record_sql, {user_id, plan_id, payment_link_minutes});
        if (open.rows()) {
            rec.id = open.get_int(0, "id");
            rec.invoice = open.get(0, "invoice");
            if (open.get_bool(0, "session_fresh")) rec.session_id = open.get_opt(0, "provider_session_id");
            return;
        }
        rec.invoice = new_invoice();
        rec.created = true;
        rec.id = db().exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                           "VALUES ($1, $2, $3, $4::numeric, $5) RETURNING id",
                           {rec.invoice, user_id, plan_id, rec.price, rec.currency}).get_int(0, 0);
    });
    return rec;
}

// What the browser needs to open ePayco's checkout for an open record: `what` goes in extra2
// (the plan, or "donation"), which the verified confirmation must repeat.
Json checkout_for(const Settings& s, long long user_id, OpenRecord& rec, const std::string& what) {
    const std::string& base = s.web.public_base_url;
    const bool test = s.checkout.test;
    const Json extras = {{"extra1", std::to_string(user_id)}, {"extra2", what}, {"extra3", std::to_string(rec.id)}};
    const std::string title = what == "donation" ? "PNPtv tip" : "PNPtv PRIME";
    const std::string confirmation = base + std::string(epayco_webhook::confirmation_path);
    const std::string response = base + std::string(pages::hub) + "?payment=" + rec.invoice;
    Json answer = {{"invoice", rec.invoice}, {"test", test}, {"amount", rec.price}, {"currency", rec.currency}};
    if (s.checkout.private_key) {
        if (!rec.session_id) {
            Json session = {{"name", title}, {"description", rec.plan_name}, {"invoice", rec.invoice},
                            {"currency", rec.currency}, {"amount", rec.price}, {"taxBase", "0"}, {"tax", "0"}, {"taxIco", "0"},
                            {"country", "CO"}, {"lang", rec.language}, {"confirmation", confirmation}, {"response", response},
                            {"test", test}, {"extras", extras}, {"method", "POST"}, {"checkout_version", "2"}};
            rec.session_id = epayco_create_checkout_session(s.checkout, session);
            if (!rec.session_id) {
                // A record made for this try is closed so it neither lingers nor waits for a confirmation.
                if (rec.created) db().exec("UPDATE payment_records SET state = 'failed' WHERE id = $1", {rec.id});
                throw HttpError(503, "epayco_unavailable", "The payment provider is not answering; try again shortly.");
            }
            db().exec("UPDATE payment_records SET provider_session_id = $2 WHERE id = $1", {rec.id, *rec.session_id});
        }
        answer["mode"] = "session";
        answer["sessionId"] = *rec.session_id;
        answer["script"] = s.checkout.checkout_base + "/checkout-v2.js";
        return answer;
    }
    answer["mode"] = "classic";
    answer["key"] = s.checkout.public_key;
    answer["script"] = s.checkout.checkout_base + "/checkout.js";
    answer["params"] = {{"name", title}, {"description", rec.plan_name}, {"invoice", rec.invoice},
                        {"currency", to_lower(rec.currency)}, {"amount", rec.price}, {"tax_base", "0"}, {"tax", "0"},
                        {"country", "co"}, {"lang", rec.language}, {"external", "false"}, {"response", response},
                        {"confirmation", confirmation}, {"extra1", extras["extra1"]}, {"extra2", extras["extra2"]},
                        {"extra3", extras["extra3"]}};
    return answer;
}

// The user's open record of that plan (found or written), and its checkout.
Json start_checkout(const Settings& s, long long user_id, const std::string& plan_id) {
    OpenRecord rec = open_record(user_id, plan_id);
    return checkout_for(s, user_id, rec, plan_id);
}

// A tip to a live stream's host: one of the fixed amounts for its currency, an optional short
// message; through the same checkout and the same verified-confirmation core as a subscription
// (common/payment_confirmation.cpp publishes it to the stream once ePayco approves it).
Response donate(const Settings& s, const Request& request, const PathParams&) {
    Identity me = require_session(s.web, request);
    Json body = parse_json_object(request);
    reject_unknown_fields(body, {"stream_id", "amount", "currency", "message"});
    auto stream = count_field(body, "stream_id", 1, std::numeric_limits<long long>::max());
    if (!stream) throw HttpError(422, "missing_field", "stream_id is required.", "stream_id");
    std::string amount;
    if (body.contains("amount") && body["amount"].is_number_integer()) amount = std::to_string(body["amount"].get<long long>());
    else if (body.contains("amount") && body["amount"].is_string() && is_decimal(body["amount"].get<std::string>())) amount = body["amount"];
    else throw HttpError(422, "invalid_field", "amount must be one of the amounts offered for the currency.", "amount");
    auto currency = choice_field(body, "currency", {"USD", "COP"});
    if (!currency) throw HttpError(422, "missing_field", "currency is required.", "currency");
    auto message = text_field(body, "message", TextRule{1, 140, false});
    enforce_rate_limit("checkout", std::to_string(me.user_id), 30, 3600);  // shared with subscriptions
    OpenRecord rec;
    std::string host_name;
    db().transaction([&] {
        rec.language = check_buyer(me.user_id);
        // A stream whose host can't go live any more (banned, gone, PRIME ended) takes no tips.
        auto live = db().exec("SELECT s.host_id, s.prime_only, COALESCE(h.display_name, NULLIF(h.first_name, ''), 'PNPtv') AS host "
                              "FROM live_streams s JOIN users h ON h.id = s.host_id WHERE s.id = $1 AND s.status = 'live' "
                              "AND h.banned_at IS NULL AND h.deleted_at IS NULL AND (h.tier = 'prime' OR h.role = 'admin')", {*stream});
        if (live.rows() == 0) throw HttpError(409, "stream_not_live", "This stream isn't live (any more).", "stream_id");
        if (live.get_int(0, "host_id") == me.user_id) throw HttpError(409, "own_stream", "You can't tip your own stream.", "stream_id");
        if (live.get_bool(0, "prime_only") && me.tier != "prime" && me.role != "admin")
            throw HttpError(403, "prime_required", "This stream is for PRIME members.", "stream_id");
        auto offered = db().exec("SELECT amount::text FROM donation_amounts WHERE currency = $1 AND amount = $2::numeric", {*currency, amount});
        if (offered.rows() == 0) throw HttpError(422, "invalid_field", "amount must be one of the amounts offered for the currency.", "amount");
        host_name = live.get(0, "host");
        rec.price = offered.get(0, 0);
        rec.currency = *currency;
        rec.plan_name = "Tip for " + host_name;
        rec.invoice = new_invoice();
        rec.created = true;
        rec.id = db().exec("INSERT INTO payment_records (invoice, user_id, purpose, amount, currency, live_stream_id, donation_message) "
                           "VALUES ($1, $2, 'donation', $3::numeric, $4, $5, $6) RETURNING id",
                           {rec.invoice, me.user_id, rec.price, rec.currency, *stream, message}).get_int(0, 0);
    });
    return Response::json(201, checkout_for(s, me.user_id, rec, "donation"));
}

// The amounts a tip may be, per currency (the live page's buttons).
Response donation_amounts(const Settings&, const Request&, const PathParams&) {
    auto r = db().exec("SELECT d.currency, d.amount::text AS amount FROM donation_amounts d ORDER BY d.currency, d.amount");
    Json out = Json::object();
    for (int i = 0; i < r.rows(); ++i) out[r.get(i, "currency")].push_back(r.get(i, "amount"));
    Response resp = Response::json(200, {{"amounts", out}});
    resp.headers.emplace_back("Cache-Control", "public, max-age=300");
    return resp;
}

Response create_subscription(const Settings& s, const Request& request, const PathParams&) {
    Identity id = require_session(s.web, request);
    Json body = parse_json_object(request);
    if (!body.contains("plan_id") || !body["plan_id"].is_string() || body["plan_id"].get<std::string>().size() > 64)
        throw HttpError(400, "missing_field", "plan_id (a string) is required.", "plan_id");
    return Response::json(201, start_checkout(s, id.user_id, body["plan_id"].get<std::string>()));
}

// The bot's signed link: user, plan, expiry and signature, as the link carries them.
struct LinkFields {
    std::string u, p, exp, sig;
};

// GET /api/payment/checkout?u=&p=&exp=&sig= — the bot's plan buttons. On to the checkout page
// with the link's fields in the fragment, which no server or log ever sees; the page posts them
// back (below) and opens ePayco's checkout from a script file (no inline script).
Response checkout_link(const Settings&, const Request& request, const PathParams&) {
    std::string fragment;
    for (const char* k : {"u", "p", "exp", "sig"})
        fragment += std::string(fragment.empty() ? "" : "&") + k + "=" + percent_encode(find_value(request.query, k).value_or("").substr(0, 128));
    return Response::redirect(std::string(pages::pay) + "#" + fragment);
}

// POST /api/payment/checkout {"u","p","exp","sig"} — the signature is the proof (there is no web
// session inside Telegram): the checkout for that user's plan, as create-subscription answers it.
Response checkout_from_link(const Settings& s, const Request& request, const PathParams&) {
    Json body = parse_json_object(request);
    LinkFields f;
    for (auto [name, value] : {std::pair{"u", &f.u}, {"p", &f.p}, {"exp", &f.exp}, {"sig", &f.sig}}) {
        if (!body.contains(name) || !body[name].is_string())
            throw HttpError(400, "missing_field", std::string(name) + " (a string) is required.", name);
        *value = body[name].get<std::string>();
    }
    const auto user = parse_id(f.u), expires = parse_id(f.exp);
    if (!user || !expires || f.p.empty() || f.p.size() > 64 || f.sig.size() != 64 ||
        !payment_link_valid(s.link.secret, *user, f.p, *expires, f.sig))
        throw HttpError(403, "invalid_payment_link", "This payment link is not valid. Ask the bot for a new one with /prime.");
    if (*expires < std::time(nullptr))
        throw HttpError(403, "payment_link_expired", "This payment link has expired (they last 30 minutes). Ask the bot for a new one with /prime.");
    try {
        return Response::json(201, start_checkout(s, *user, f.p));
    } catch (const HttpError& e) {
        // The account behind a valid link is gone: the link is no longer valid.
        if (e.status == 401) throw HttpError(403, "invalid_payment_link", "This payment link is not valid. Ask the bot for a new one with /prime.");
        throw;
    }
}

// GET /api/payment/status/<invoice> — the caller's own payment; someone else's is a 404.
Response status(const Settings& s, const Request& request, const PathParams& params) {
    Identity id = require_session(s.web, request);
    enforce_rate_limit("payment_status", std::to_string(id.user_id), 120, 60);  // the result page polls it
    const std::string invoice = *find_value(params, "invoice");
    if (invoice.size() > 64) throw HttpError(404, "not_found", "No such payment.");
    auto r = db().exec("SELECT id, invoice, purpose, plan_id, amount::text AS amount, currency, state "
                       "FROM payment_records WHERE invoice = $1 AND user_id = $2", {invoice, id.user_id});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such payment.");
    // The buyer comes back with ?ref_payco=…: never trusted, but a candidate the verifier asks
    // ePayco about, which catches a confirmation that never arrived.
    auto ref = find_value(request.query, "ref_payco");
    const std::string state = r.get(0, "state");
    if (ref && !ref->empty() && ref->size() <= 64 && only_chars(*ref, "-_", true) &&
        record_state_open(state))
        note_candidate_reference(r.get_int(0, "id"), *ref, s.recheck_seconds);
    auto plan = r.get_opt(0, "plan_id");
    return Response::json(200, {{"invoice", r.get(0, "invoice")}, {"purpose", r.get(0, "purpose")}, {"plan_id", plan ? Json(*plan) : Json(nullptr)},
                                {"amount", r.get(0, "amount")}, {"currency", r.get(0, "currency")}, {"state", state}});
}

// Checkouts and the result page's polling are limited per user here, by address in nginx.
const RoutePolicy api = body(0).limit("pnptv_api:50");
const Router<Settings> routes({
    {"GET", std::string(plans_path), plans, api},
    {"POST", std::string(create_subscription_path), create_subscription, api.body(1024)},
    {"POST", std::string(donations_path), donate, api.body(2048)},
    {"GET", std::string(donations_path), donation_amounts, api},
    // A signed link opens a checkout for its user: nothing of its URL is logged.
    {"GET", std::string(checkout_link_path), checkout_link, api.capability_urls()},
    {"POST", std::string(checkout_link_path), checkout_from_link, api.body(1024)},
    {"GET", std::string(status_path) + ":invoice", status, api},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    return {DatabaseSettings::read(r), RedisSettings::read(r), WebSettings::read(r), PaymentLinkSettings::read(r),
            EpaycoCheckoutSettings::read(r), read_recheck_seconds(r)};
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("payment", routes);
    return f;
}

}  // namespace payment
