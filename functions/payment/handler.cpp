#include "handler.hpp"

#include <ctime>

#include "config.hpp"
#include "crypto.hpp"
#include "epayco.hpp"
#include "log.hpp"
#include "payment_link.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "text.hpp"

namespace payment {

using namespace pnptv;

namespace {

constexpr const char* plans_sql =
    "SELECT id, name, price::text, currency, duration_days, tier FROM plans WHERE active ORDER BY price, id";

// "PNP-" + 12 of [A-Z0-9]: a whole token ePayco may decorate but never extend.
std::string new_invoice() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::string out = "PNP-";
    for (unsigned char c : random_bytes(12)) out.push_back(alphabet[c % 36]);
    return out;
}

Response plans(const Request&, const PathParams&) {
    auto r = db().exec(plans_sql);
    Json list = Json::array();
    for (int i = 0; i < r.rows(); ++i)
        list.push_back({{"id", r.get(i, 0)}, {"name", r.get(i, 1)}, {"price", r.get(i, 2)}, {"currency", r.get(i, 3)},
                        {"duration_days", r.is_null(i, 4) ? Json(nullptr) : Json(r.get_int(i, 4))}, {"tier", r.get(i, 5)}});
    Response resp = Response::json(200, {{"plans", list}});
    resp.headers.emplace_back("Cache-Control", "public, max-age=60");
    return resp;
}

// Checks the buyer and the plan, writes the pending record, and returns what the browser needs
// to open ePayco's checkout. The amount is ours, from the plan, never the client's.
Json start_checkout(long long user_id, const std::string& plan_id) {
    auto user = db().exec("SELECT banned_at IS NOT NULL, age_verified_at IS NOT NULL, language FROM users WHERE id = $1",
                          {user_id});
    if (user.rows() == 0) throw HttpError(401, "unauthenticated", "Log in to continue.");
    if (user.get_bool(0, 0)) throw HttpError(403, "banned", "This account is banned.");
    if (!user.get_bool(0, 1))
        throw HttpError(403, "age_verification_required", "Confirm you are 18 or older (send /start to the bot) first.");
    auto plan = db().exec("SELECT name, price::text, currency FROM plans WHERE id = $1 AND active", {plan_id});
    if (plan.rows() == 0) throw HttpError(422, "unknown_plan", "No such plan is on sale.", "plan_id");
    const std::string invoice = new_invoice();
    const long long record = db().exec("INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency) "
                                       "VALUES ($1, $2, $3, $4::numeric, $5) RETURNING id",
                                       {invoice, user_id, plan_id, plan.get(0, 1), plan.get(0, 2)}).get_int(0, 0);
    const std::string base = public_base_url(), language = user.get(0, 2), currency = plan.get(0, 2);
    const bool test = setting_bool("EPAYCO_TEST", false);
    const Json extras = {{"extra1", std::to_string(user_id)}, {"extra2", plan_id}, {"extra3", std::to_string(record)}};
    const std::string confirmation = base + "/api/webhook/epayco";
    const std::string response = base + "/hub/?payment=" + invoice;
    Json answer = {{"invoice", invoice}, {"test", test}, {"amount", plan.get(0, 1)}, {"currency", currency}};
    if (setting("EPAYCO_PRIVATE_KEY")) {
        Json session = {{"name", "PNPtv PRIME"}, {"description", plan.get(0, 0)}, {"invoice", invoice}, {"currency", currency},
                        {"amount", plan.get(0, 1)}, {"taxBase", "0"}, {"tax", "0"}, {"taxIco", "0"}, {"country", "CO"},
                        {"lang", language}, {"confirmation", confirmation}, {"response", response}, {"test", test},
                        {"extras", extras}, {"method", "POST"}, {"checkout_version", "2"}};
        auto id = epayco_create_checkout_session(session);
        if (!id) {
            // The record is closed so it neither blocks a retry nor waits for a confirmation.
            db().exec("UPDATE payment_records SET state = 'failed' WHERE id = $1", {record});
            throw HttpError(503, "epayco_unavailable", "The payment provider is not answering; try again shortly.");
        }
        answer["mode"] = "session";
        answer["sessionId"] = *id;
        answer["script"] = "https://checkout.epayco.co/checkout-v2.js";
        return answer;
    }
    answer["mode"] = "classic";
    answer["key"] = required_setting("EPAYCO_PUBLIC_KEY");
    answer["script"] = "https://checkout.epayco.co/checkout.js";
    answer["params"] = {{"name", "PNPtv PRIME"}, {"description", plan.get(0, 0)}, {"invoice", invoice},
                        {"currency", to_lower(currency)}, {"amount", plan.get(0, 1)}, {"tax_base", "0"}, {"tax", "0"},
                        {"country", "co"}, {"lang", language}, {"external", "false"}, {"response", response},
                        {"confirmation", confirmation}, {"extra1", extras["extra1"]}, {"extra2", extras["extra2"]},
                        {"extra3", extras["extra3"]}};
    return answer;
}

Response create_subscription(const Request& request, const PathParams&) {
    Identity id = require_session(request);
    if (request.media_type() != "application/json")
        throw HttpError(415, "unsupported_media_type", "Send application/json.");
    Json body = Json::parse(request.body, nullptr, false);
    if (!body.is_object()) throw HttpError(400, "invalid_json", "The body must be a JSON object.");
    if (!body.contains("plan_id") || !body["plan_id"].is_string() || body["plan_id"].get<std::string>().size() > 64)
        throw HttpError(400, "missing_field", "plan_id (a string) is required.", "plan_id");
    return Response::json(201, start_checkout(id.user_id, body["plan_id"].get<std::string>()));
}

Response page(int status, const std::string& title, const std::string& body_html) {
    return Response::text(status,
                          "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>PNPtv · " + html_escape(title) +
                              "</title><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                              "<link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><h1>" + html_escape(title) +
                              "</h1>" + body_html + "</body></html>",
                          "text/html; charset=utf-8");
}

// GET /api/payment/checkout?u=&p=&exp=&sig= — the bot's plan buttons. The signature is the
// proof (there is no web session inside Telegram); the page opens ePayco's checkout.
Response checkout_link(const Request& request, const PathParams&) {
    auto q = [&](const char* k) { return find_value(request.query, k).value_or(""); };
    const std::string u = q("u"), p = q("p"), exp = q("exp"), sig = q("sig");
    auto is_number = [](const std::string& s) { return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos; };
    if (!is_number(u) || !is_number(exp) || p.empty() || p.size() > 64 || sig.size() != 64 ||
        !payment_link_valid(std::stoll(u), p, std::stoll(exp), sig))
        return page(403, "This payment link is not valid", "<p>Ask the bot for a new one with /prime.</p>");
    if (std::stoll(exp) < std::time(nullptr))
        return page(403, "This payment link has expired", "<p>Payment links last 30 minutes. Ask the bot for a new one with /prime.</p>");
    Json checkout;
    try {
        checkout = start_checkout(std::stoll(u), p);
    } catch (const HttpError& e) {
        if (e.status >= 500) throw;
        return page(e.status == 401 ? 403 : e.status, "We can't start this payment", "<p>" + html_escape(e.what()) + "</p>");
    }
    const std::string config = checkout.dump(-1, ' ', true);  // ASCII-only JSON, safe inside <script>
    std::string script = checkout["mode"] == "session"
        ? "ePayco.checkout.configure({sessionId: c.sessionId, type: 'onepage', test: c.test}).open();"
        : "ePayco.checkout.configure({key: c.key, test: c.test}).open(c.params);";
    std::string safe_config;
    for (char ch : config) safe_config += ch == '<' ? std::string("\\u003c") : std::string(1, ch);
    return page(200, "Opening the secure checkout…",
                "<p>Invoice " + html_escape(checkout["invoice"].get<std::string>()) + "</p>"
                "<script src=\"" + checkout["script"].get<std::string>() + "\"></script>"
                "<script>const c = " + safe_config + ";\n" + script + "</script>");
}

// GET /api/payment/status/<invoice> — the caller's own payment; someone else's is a 404.
Response status(const Request& request, const PathParams& params) {
    Identity id = require_session(request);
    const std::string invoice = *find_value(params, "invoice");
    if (invoice.size() > 64) throw HttpError(404, "not_found", "No such payment.");
    auto r = db().exec("SELECT invoice, plan_id, amount::text, currency, state, created_at, approved_at, provider_ref IS NULL "
                       "FROM payment_records WHERE invoice = $1 AND user_id = $2", {invoice, id.user_id});
    if (r.rows() == 0) throw HttpError(404, "not_found", "No such payment.");
    // The buyer comes back with ?ref_payco=…: never trusted for the state, but it lets the
    // reconciliation job ask ePayco about a confirmation that never arrived.
    auto ref = find_value(request.query, "ref_payco");
    if (ref && r.get_bool(0, 7) && !ref->empty() && ref->size() <= 64 && ref->find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos)
        db().exec("UPDATE payment_records SET provider_ref = $3 WHERE invoice = $1 AND user_id = $2 AND provider_ref IS NULL",
                  {invoice, id.user_id, *ref});
    return Response::json(200, {{"invoice", r.get(0, 0)}, {"plan_id", r.get(0, 1)}, {"amount", r.get(0, 2)},
                                {"currency", r.get(0, 3)}, {"state", r.get(0, 4)}});
}

const Router routes({
    {"GET", "/api/payment/plans", plans, 0},
    {"POST", "/api/payment/create-subscription", create_subscription, 1024},
    {"GET", "/api/payment/checkout", checkout_link, 0},
    {"GET", "/api/payment/status/:invoice", status, 0},
});

}  // namespace

Response handle(const Request& request) { return routes.dispatch(request); }

const Function& function() {
    static const Function f{"payment", routes,
                            {"DATABASE_URL", "REDIS_URL", "SESSION_SECRETS", "PUBLIC_BASE_URL", "PAYMENT_LINK_SECRET",
                             "EPAYCO_PUBLIC_KEY"}};
    return f;
}

}  // namespace payment
