// Payments against the run's PostgreSQL and Redis and a local fake of ePayco (validation and
// Checkout v2): the protocol vectors, the payment function, the confirmation webhook and the
// verifier that decides every claim by ePayco's own answer — including the attacks a hostile
// review performed — and the subscription jobs.
#define BOOST_TEST_MODULE payments
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <map>

#include "../functions/epayco-webhook/handler.hpp"
#include "../functions/payment/handler.hpp"
#include "authz.hpp"
#include "crypto.hpp"
#include "epayco.hpp"
#include "outbox.hpp"
#include "payment_confirmation.hpp"
#include "payment_link.hpp"
#include "payment_references.hpp"
#include "live.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "session.hpp"
#include "subscriptions.hpp"
#include "testing.hpp"
#include "urlencoded.hpp"

using namespace pnptv;
using testing::body_json;
using testing::make_request;

namespace {

const std::string fake = testing::start_fake_api();  // http://127.0.0.1:port of the fake ePayco

const Pairs payment_values = {{"EPAYCO_API_BASE", fake},          {"EPAYCO_APIFY_BASE", fake}, {"EPAYCO_CHECKOUT_BASE", "https://checkout.epayco.test"},
                              {"EPAYCO_CUST_ID", "12345"},        {"EPAYCO_P_KEY", "testkey123"},
                              {"EPAYCO_PUBLIC_KEY", "pub-key"},   {"EPAYCO_TEST", "true"},
                              {"SESSION_SECRETS", "pay-secret"},  {"PUBLIC_BASE_URL", "https://pnptv.test"},
                              {"PAYMENT_LINK_SECRET", "link-secret"}, {"COOKIE_SECURE", "true"}};
Pairs payment_values_with(const Pairs& more) {
    Pairs all = payment_values;
    all.insert(all.end(), more.begin(), more.end());
    return all;
}
// The payment function classic (no private key) and with Checkout v2 sessions; the webhook.
const auto payment_settings = testing::settings<payment::Settings>(payment_values);
const auto payment_v2_settings = testing::settings<payment::Settings>(payment_values_with({{"EPAYCO_PRIVATE_KEY", "priv-key"}}));
const auto webhook_settings = testing::settings<epayco_webhook::Settings>(payment_values);

VerifierSettings verifier() {
    VerifierSettings s;
    s.api_base = fake;
    s.timeout_ms = 3000;
    s.concurrency = 8;
    s.not_found_attempts = 2;
    s.retry_base_seconds = 60;
    return s;
}

// The verifier's work, done now: every reference due at this moment is checked and applied.
int verify() { return verify_due_references(verifier(), [] { return true; }); }

Response pay(const Request& request, const payment::Settings& settings = payment_settings) {
    return payment::handle(settings, request);
}
std::string bot_link(long long user, const std::string& plan, long long expires) {
    std::string link = payment_link(payment_settings.link, user, plan, expires);
    return link.substr(link.find("/api/"));
}
// What the checkout page does with a link it was sent to: its fields, posted back as JSON.
Response open_link(const std::string& link) {
    Json fields = Json::object();
    const Pairs query = parse_urlencoded(link.substr(link.find('?') + 1)).value_or(Pairs{});
    for (const auto& [k, v] : query) fields[k] = v;
    return pay(make_request("POST", "/api/payment/checkout", fields.dump(), {{"content-type", "application/json"}}));
}

struct Buyer {
    long long id, telegram_id;
    std::string cookie;
};

Buyer buyer(bool age_verified = true, const std::string& language = "en") {
    Buyer b;
    b.telegram_id = 5'000'000'000LL + testing::unique_number() % 100'000'000LL;
    b.id = db().exec("INSERT INTO users (telegram_id, first_name, language, email, age_verified_at) "
                     "VALUES ($1, 'Buyer', $2, $3, CASE WHEN $4 THEN now() END) RETURNING id",
                     {b.telegram_id, language, "buyer" + std::to_string(b.telegram_id) + "@example.test", age_verified})
               .get_int(0, 0);
    project_users_now({b.id});  // as a login does
    SessionUser su;
    su.id = b.id;
    su.telegram_id = b.telegram_id;
    std::string sid = create_session(payment_settings.web.session, su);
    b.cookie = "connect.sid=" + session_cookie_value(sid, "pay-secret");
    return b;
}

long long admin_user() {
    return db().exec("INSERT INTO users (telegram_id, first_name, role) VALUES ($1, 'Admin', 'admin') RETURNING id",
                     {6'000'000'000LL + testing::unique_number() % 100'000'000LL}).get_int(0, 0);
}

Response create(const Buyer& b, const std::string& body, const std::string& type = "application/json", Pairs extra = {},
                const payment::Settings& settings = payment_settings) {
    Pairs headers = {{"content-type", type}, {"cookie", b.cookie}};
    for (auto& h : extra) headers.push_back(h);
    return pay(make_request("POST", std::string(payment::create_subscription_path), body, headers), settings);
}

struct Record {
    long long id;
    std::string invoice, amount, currency, plan;
    long long user;
};

// A fresh pending record (the window that reuses an open record is closed on the previous one).
Record pending_record(const Buyer& b, const std::string& plan = "prime-monthly-usd") {
    db().exec("UPDATE payment_records SET created_at = now() - interval '1 day' WHERE user_id = $1", {b.id});
    auto r = create(b, Json({{"plan_id", plan}}).dump());
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto j = body_json(r);
    auto row = db().exec("SELECT id, amount::text, currency FROM payment_records WHERE invoice = $1", {j["invoice"].get<std::string>()});
    return {row.get_int(0, 0), j["invoice"], row.get(0, 1), row.get(0, 2), plan, b.id};
}

// A confirmation for a record as ePayco would sign it.
Pairs confirmation(const Record& rec, int code, const std::string& ref, const std::string& amount = "",
                   const std::string& currency = "") {
    std::string a = amount.empty() ? rec.amount : amount, c = currency.empty() ? rec.currency : currency;
    std::string tx = "TX-" + ref;
    return {{"x_cust_id_cliente", "12345"}, {"x_ref_payco", ref}, {"x_id_invoice", rec.invoice}, {"x_amount", a},
            {"x_currency_code", c}, {"x_transaction_id", tx}, {"x_cod_transaction_state", std::to_string(code)},
            {"x_transaction_state", "state"}, {"x_extra1", std::to_string(rec.user)}, {"x_extra2", rec.plan},
            {"x_extra3", std::to_string(rec.id)}, {"x_customer_email", "card@holder.test"},
            {"x_signature", epayco_signature("12345", "testkey123", ref, tx, a, c)}};
}

Pairs with(Pairs fields, const std::string& key, const std::string& value) {
    bool found = false;
    for (auto& [k, v] : fields)
        if (k == key) v = value, found = true;
    if (!found) fields.emplace_back(key, value);
    return fields;
}

// What ePayco's validation endpoint will say about a reference.
void epayco_holds(const std::string& ref, const Pairs& fields) {
    Json data = Json::object();
    for (auto& [k, v] : fields) data[k] = v;
    testing::http("POST", fake + "/__validation", Json({{ref, data}}).dump());
}

void epayco_mode(const std::string& mode) { testing::http("POST", fake + "/__mode", Json({{"epayco_mode", mode}}).dump()); }

long long validation_calls(const std::string& ref) {
    return Json::parse(testing::http("GET", fake + "/__validation_calls?ref=" + ref).body)["count"].get<long long>();
}

std::string form(const Pairs& fields) {
    std::string out;
    for (auto& [k, v] : fields) out += (out.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
    return out;
}

Response deliver(const Pairs& fields, bool post = true) {
    if (post)
        return epayco_webhook::handle(webhook_settings, make_request("POST", "/api/webhook/epayco", form(fields),
                                                   {{"content-type", "application/x-www-form-urlencoded"}}));
    return epayco_webhook::handle(webhook_settings, make_request("GET", "/api/webhook/epayco?" + form(fields)));
}

// ePayco holds `fields` for their reference, sends them, and the verifier runs.
void settle(const Pairs& fields) {
    const std::string ref = *find_value(fields, "x_ref_payco");
    epayco_holds(ref, fields);
    auto r = deliver(fields);
    BOOST_TEST_REQUIRE(r.status == 200, r.body);
    verify();
}

// As if recheck_seconds had passed since ePayco was last asked about `ref`.
void allow_recheck(const std::string& ref) {
    db().exec("UPDATE payment_references SET checked_at = now() - interval '1 minute' WHERE provider_ref = $1", {ref});
}

std::string new_ref() { return std::to_string(9'000'000 + testing::unique_number() % 1'000'000'000LL); }

std::string record_state(long long id) { return db().exec("SELECT state FROM payment_records WHERE id = $1", {id}).get(0, 0); }
bool record_flagged(long long id) {
    return db().exec("SELECT flagged_at IS NOT NULL FROM payment_records WHERE id = $1", {id}).get_bool(0, 0);
}
std::optional<std::string> record_ref(long long id) {
    return db().exec("SELECT provider_ref FROM payment_records WHERE id = $1", {id}).get_opt(0, 0);
}
long long active_subscriptions(long long user) {
    return db().exec("SELECT count(*) FROM subscriptions WHERE user_id = $1 AND status = 'active'", {user}).get_int(0, 0);
}
// Whole days left on the user's active subscription (-1: none, -2: lifetime).
long long days_left(long long user) {
    auto r = db().exec("SELECT ends_at IS NULL, round(EXTRACT(EPOCH FROM ends_at - now()) / 86400) FROM subscriptions "
                       "WHERE user_id = $1 AND status = 'active'", {user});
    if (r.rows() == 0) return -1;
    if (r.get_bool(0, 0)) return -2;
    return std::stoll(r.get(0, 1));
}
std::string tier(long long user) { return db().exec("SELECT tier FROM users WHERE id = $1", {user}).get(0, 0); }
long long outbox_rows(long long user, const std::string& kind) {
    return db().exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND kind = $2", {user, kind}).get_int(0, 0);
}
std::string confirmation_outcome(const std::string& ref, int code) {
    auto r = db().exec("SELECT outcome || ':' || COALESCE(payment_record_id::text, 'none') FROM payment_confirmations "
                       "WHERE provider_ref = $1 AND state_code = $2", {ref, code});
    return r.rows() ? r.get(0, 0) : "absent";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol)

BOOST_AUTO_TEST_CASE(signature_vectors) {
    BOOST_TEST(epayco_signature("12345", "testkey123", "9001", "TX-1", "14.99", "USD") ==
               "63ce656525b25956a0a08a69e5e61cbae08808a3b618caf6085df53318fd7ee1");
    BOOST_TEST(epayco_signature("12345", "testkey123", "9002", "TX-2", "59900", "COP") ==
               "6ac0153b524773d1473a9bd7a2f72c3da852e57eb60224b7077fd3a828dea249");
}

BOOST_AUTO_TEST_CASE(state_codes) {
    BOOST_TEST(*epayco_state_name(1) == "approved");
    BOOST_TEST(*epayco_state_name(6) == "reversed");
    BOOST_TEST(*epayco_state_name(12) == "antifraud");
    BOOST_TEST(!epayco_state_name(5));
    BOOST_TEST(epayco_state_open(3));
    BOOST_TEST(epayco_state_open(5));  // unknown: pending-like
    BOOST_TEST(!epayco_state_open(1));
    BOOST_TEST(!epayco_state_open(2));
}

BOOST_AUTO_TEST_CASE(invoice_only_as_a_whole_token) {
    BOOST_TEST(*find_invoice_token("PNP-ABCDEFGHJK12") == "PNP-ABCDEFGHJK12");
    BOOST_TEST(*find_invoice_token("shop_PNP-ABCDEFGHJK12-1700000000123") == "PNP-ABCDEFGHJK12");
    BOOST_TEST(!find_invoice_token("PNP-ABCDEFGHJK123"));   // longer: another invoice
    BOOST_TEST(!find_invoice_token("XPNP-ABCDEFGHJK12"));
    BOOST_TEST(!find_invoice_token("PNP-1"));
}

BOOST_AUTO_TEST_CASE(state_code_falls_back_to_cod_response) {
    BOOST_TEST(*epayco_state_code({{"x_cod_transaction_state", "3"}}) == 3);
    BOOST_TEST(*epayco_state_code({{"x_cod_transaction_state", ""}, {"x_cod_response", "1"}}) == 1);
    BOOST_TEST(!epayco_state_code({{"x_cod_transaction_state", "x1"}}));
    BOOST_TEST(!epayco_state_code({}));
}

BOOST_AUTO_TEST_CASE(validation_answers_are_read_as_text) {
    auto v = epayco_validation_from(200, R"({"success":true,"data":{"x_ref_payco":123,"x_amount":10.5,"x_extra3":"7",
        "x_cod_transaction_state":1,"x_currency_code":"USD","x_id_invoice":"PNP-AAAAAAAAAAAA"}})");
    BOOST_TEST(v.reachable);
    BOOST_TEST(v.found);
    BOOST_TEST(v.transaction.ref == "123");
    BOOST_TEST(v.transaction.amount == "10.5");
    BOOST_TEST(*v.transaction.state_code == 1);
    BOOST_TEST(v.transaction.extra3 == "7");
    BOOST_TEST(!epayco_validation_from(200, R"({"success":false})").found);
    BOOST_TEST(epayco_validation_from(200, R"({"success":false})").reachable);
    BOOST_TEST(!epayco_validation_from(503, "").reachable);
    BOOST_TEST(!epayco_validation_from(429, "").reachable);
    BOOST_TEST(!epayco_validation_from(0, "").reachable);
    BOOST_TEST(!epayco_validation_from(200, "not json").reachable);  // not ePayco's answer: asked again
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(payment_function)

BOOST_AUTO_TEST_CASE(plans_are_public) {
    auto r = pay(make_request("GET", "/api/payment/plans"));
    BOOST_TEST(r.status == 200);
    auto plans = body_json(r)["plans"];
    BOOST_TEST(plans.size() == 3u);
    BOOST_TEST(plans.dump().find("\"price\":\"99.00\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(classic_checkout_carries_the_extras) {
    Buyer b = buyer();
    auto r = create(b, R"({"plan_id":"prime-monthly-cop"})");
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    auto j = body_json(r);
    BOOST_TEST(j["mode"] == "classic");
    BOOST_TEST(j["key"] == "pub-key");
    auto p = j["params"];
    BOOST_TEST(p["amount"] == "40000.00");
    BOOST_TEST(p["currency"] == "cop");
    BOOST_TEST(p["extra1"] == std::to_string(b.id));
    BOOST_TEST(p["extra2"] == "prime-monthly-cop");
    BOOST_TEST(p["confirmation"] == "https://pnptv.test/api/webhook/epayco");
    auto row = db().exec("SELECT id, state, amount::text FROM payment_records WHERE invoice = $1", {j["invoice"].get<std::string>()});
    BOOST_TEST(p["extra3"] == row.get(0, 0));
    BOOST_TEST(row.get(0, 1) == "pending");
}

BOOST_AUTO_TEST_CASE(checkout_v2_session_reused_and_provider_down) {
    redis().command({"DEL", "epayco:apify:token"});
    auto create = [](const Buyer& b, const std::string& body) { return ::create(b, body, "application/json", {}, payment_v2_settings); };
    Buyer b = buyer();
    auto r = create(b, R"({"plan_id":"prime-monthly-usd"})");
    BOOST_TEST(r.status == 201, r.body);
    BOOST_TEST(body_json(r)["mode"] == "session");
    const std::string session = body_json(r)["sessionId"];
    BOOST_TEST(session.rfind("session-", 0) == 0u);
    auto ttl = redis().command({"TTL", "epayco:apify:token"});
    BOOST_TEST(ttl.is_integer());
    BOOST_TEST(ttl.integer() > 0);  // -2 would mean the key is missing
    BOOST_TEST(ttl.integer() <= 840);
    // A second click within the window: the same record and the same session, no new one made.
    auto again = create(b, R"({"plan_id":"prime-monthly-usd"})");
    BOOST_TEST(body_json(again)["sessionId"] == session);
    BOOST_TEST(body_json(again)["invoice"] == body_json(r)["invoice"]);
    // ePayco down while a fresh record needs a session: 503, and that record is closed.
    db().exec("UPDATE payment_records SET created_at = now() - interval '1 day' WHERE user_id = $1", {b.id});
    epayco_mode("down");
    auto down = create(b, R"({"plan_id":"prime-monthly-usd"})");
    epayco_mode("ok");
    BOOST_TEST(down.status == 503);
    BOOST_TEST(body_json(down)["error"]["code"] == "epayco_unavailable");
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_records WHERE user_id = $1 AND state = 'failed'", {b.id}).get_int(0, 0) == 1);
    BOOST_TEST(create(b, R"({"plan_id":"prime-monthly-usd"})").status == 201);  // the failed try doesn't block a retry
}

BOOST_AUTO_TEST_CASE(bad_requests) {
    Buyer b = buyer();
    BOOST_TEST(pay(make_request("POST", "/api/payment/create-subscription", "{}", {{"content-type", "application/json"}})).status == 401);
    BOOST_TEST(create(b, "{\"plan_id\":").status == 400);
    BOOST_TEST(create(b, "[]").status == 400);
    BOOST_TEST(create(b, R"({"plan_id":7})").status == 400);
    BOOST_TEST(create(b, R"({"plan_id":"gold"})").status == 422);
    BOOST_TEST(body_json(create(b, R"({"plan_id":"gold"})"))["error"]["field"] == "plan_id");
    BOOST_TEST(create(b, "plan_id=x", "application/x-www-form-urlencoded").status == 415);
    BOOST_TEST(create(buyer(false), R"({"plan_id":"prime-monthly-usd"})").status == 403);
}

BOOST_AUTO_TEST_CASE(a_request_from_another_site_riding_the_cookie_is_refused) {
    Buyer b = buyer();
    auto evil = create(b, R"({"plan_id":"prime-monthly-usd"})", "application/json", {{"origin", "https://evil.example"}});
    BOOST_TEST(evil.status == 403);
    BOOST_TEST(body_json(evil)["error"]["code"] == "cross_site_request");
    auto cross = create(b, R"({"plan_id":"prime-monthly-usd"})", "application/json", {{"sec-fetch-site", "cross-site"}});
    BOOST_TEST(cross.status == 403);
    auto null_origin = create(b, R"({"plan_id":"prime-monthly-usd"})", "application/json", {{"origin", "null"}});
    BOOST_TEST(null_origin.status == 403);
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_records WHERE user_id = $1", {b.id}).get_int(0, 0) == 0);
    // The site itself, and a caller that is no browser, pass.
    BOOST_TEST(create(b, R"({"plan_id":"prime-monthly-usd"})", "application/json", {{"origin", "https://pnptv.test"}}).status == 201);
    BOOST_TEST(create(b, R"({"plan_id":"prime-monthly-usd"})", "application/json", {{"sec-fetch-site", "same-origin"}}).status == 201);
    BOOST_TEST(create(b, R"({"plan_id":"prime-monthly-usd"})").status == 201);
}

BOOST_AUTO_TEST_CASE(signed_bot_link_opens_the_checkout) {
    Buyer b = buyer();
    long long exp = std::time(nullptr) + 600;
    std::string link = bot_link(b.id, "prime-lifetime-usd", exp);
    // The link itself only sends the browser on to the checkout page, its fields in the fragment
    // (never sent to a server, never logged); no record is opened by a preview.
    auto hop = pay(make_request("GET", link));
    BOOST_TEST(hop.status == 302);
    BOOST_TEST(*hop.header("Location") == "/pay/#" + link.substr(link.find('?') + 1));
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_records WHERE user_id = $1", {b.id}).get_int(0, 0) == 0);
    BOOST_TEST(pay(make_request("GET", "/api/payment/checkout?u=1&p=%3Cx%3E")).header("Location").value_or("") ==
               "/pay/#u=1&p=%3Cx%3E&exp=&sig=");
    // The page posts them back and gets the checkout.
    auto ok = open_link(link);
    BOOST_TEST_REQUIRE(ok.status == 201, ok.body);
    BOOST_TEST(body_json(ok)["script"] == "https://checkout.epayco.test/checkout.js");
    BOOST_TEST(body_json(ok)["params"]["extra2"] == "prime-lifetime-usd");
    std::string tampered = link;
    tampered.replace(tampered.find("prime-lifetime-usd"), 18, "prime-monthly-usd");
    BOOST_TEST(body_json(open_link(tampered))["error"]["code"] == "invalid_payment_link");
    auto expired = open_link(bot_link(b.id, "prime-monthly-usd", std::time(nullptr) - 1));
    BOOST_TEST(expired.status == 403);
    BOOST_TEST(body_json(expired)["error"]["code"] == "payment_link_expired");
    BOOST_TEST(body_json(open_link("/api/payment/checkout?u=1&p=x&exp=1&sig=zz"))["error"]["code"] == "invalid_payment_link");
    // Bad bodies name the field.
    auto post = [](const std::string& body, const std::string& type = "application/json") {
        return pay(make_request("POST", "/api/payment/checkout", body, {{"content-type", type}}));
    };
    BOOST_TEST(body_json(post(R"({"u":"1","p":"x","exp":"1"})"))["error"]["field"] == "sig");
    BOOST_TEST(body_json(post(R"({"u":1,"p":"x","exp":"1","sig":"s"})"))["error"]["field"] == "u");
    BOOST_TEST(post("[").status == 400);
    BOOST_TEST(post("u=1", "application/x-www-form-urlencoded").status == 415);
    // A valid link whose account is gone is no longer valid.
    db().exec("UPDATE users SET deleted_at = now() WHERE id = $1", {b.id});
    BOOST_TEST(body_json(open_link(bot_link(b.id, "prime-monthly-usd", exp)))["error"]["code"] == "invalid_payment_link");
}

BOOST_AUTO_TEST_CASE(a_link_opened_again_reuses_the_open_record) {
    Buyer b = buyer();
    std::string link = bot_link(b.id, "prime-monthly-usd", std::time(nullptr) + 600);
    for (int i = 0; i < 4; ++i) BOOST_TEST(open_link(link).status == 201);  // refreshes of the page
    auto records = [&] { return db().exec("SELECT count(*) FROM payment_records WHERE user_id = $1", {b.id}).get_int(0, 0); };
    BOOST_TEST(records() == 1);
    // Another plan is another record; once ePayco has named a reference for it, a new one starts.
    BOOST_TEST(open_link(bot_link(b.id, "prime-lifetime-usd", std::time(nullptr) + 600)).status == 201);
    BOOST_TEST(records() == 2);
    long long first = db().exec("SELECT id FROM payment_records WHERE user_id = $1 AND plan_id = 'prime-monthly-usd'", {b.id}).get_int(0, 0);
    note_candidate_reference(first, new_ref(), 30);
    BOOST_TEST(open_link(link).status == 201);
    BOOST_TEST(records() == 3);
}

BOOST_AUTO_TEST_CASE(a_record_from_before_a_price_change_is_not_reused) {
    Buyer b = buyer();
    auto first = body_json(create(b, R"({"plan_id":"prime-monthly-cop"})"));
    db().exec("UPDATE plans SET price = 45000 WHERE id = 'prime-monthly-cop'");
    auto second = body_json(create(b, R"({"plan_id":"prime-monthly-cop"})"));
    db().exec("UPDATE plans SET price = 40000 WHERE id = 'prime-monthly-cop'");
    BOOST_TEST(second["invoice"] != first["invoice"]);
    BOOST_TEST(second["params"]["amount"] == "45000.00");
    BOOST_TEST(db().exec("SELECT amount::text FROM payment_records WHERE invoice = $1", {second["invoice"].get<std::string>()}).get(0, 0) ==
               "45000.00");
}

BOOST_AUTO_TEST_CASE(status_of_ones_own_payment_only_and_the_return_ref_is_a_candidate) {
    Buyer b = buyer(), other = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    auto mine = pay(make_request("GET", "/api/payment/status/" + rec.invoice + "?ref_payco=" + ref, {}, {{"cookie", b.cookie}}));
    BOOST_TEST(mine.status == 200);
    BOOST_TEST(body_json(mine)["state"] == "pending");
    // Kept as a candidate, never as the record's reference.
    BOOST_TEST(!record_ref(rec.id));
    auto cand = db().exec("SELECT candidate_record_id, payment_record_id IS NULL, due_at IS NOT NULL FROM payment_references "
                          "WHERE provider_ref = $1", {ref});
    BOOST_TEST_REQUIRE(cand.rows() == 1);
    BOOST_TEST(cand.get_int(0, 0) == rec.id);
    BOOST_TEST(cand.get_bool(0, 1));
    BOOST_TEST(cand.get_bool(0, 2));
    BOOST_TEST(pay(make_request("GET", "/api/payment/status/" + rec.invoice, {}, {{"cookie", other.cookie}})).status == 404);
    BOOST_TEST(pay(make_request("GET", "/api/payment/status/" + rec.invoice)).status == 401);
    // A buyer can't make us ask ePayco about any number of references.
    for (int i = 0; i < 5; ++i)
        pay(make_request("GET", "/api/payment/status/" + rec.invoice + "?ref_payco=" + new_ref(), {}, {{"cookie", b.cookie}}));
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_references WHERE candidate_record_id = $1", {rec.id}).get_int(0, 0) == 3);
    // The candidate leads the verifier to the approval ePayco never delivered.
    epayco_holds(ref, confirmation(rec, 1, ref));
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST_REQUIRE(record_ref(rec.id).has_value());
    BOOST_TEST(*record_ref(rec.id) == ref);
    BOOST_TEST(tier(b.id) == "prime");
    // Nor make us ask again about a reference that belongs to another record.
    Buyer third = buyer();
    Record theirs = pending_record(third);
    const std::string their_ref = new_ref();
    settle(confirmation(theirs, 3, their_ref));
    allow_recheck(their_ref);
    Record fresh = pending_record(b);
    pay(make_request("GET", "/api/payment/status/" + fresh.invoice + "?ref_payco=" + their_ref, {}, {{"cookie", b.cookie}}));
    BOOST_TEST(db().exec("SELECT due_at IS NULL FROM payment_references WHERE provider_ref = $1", {their_ref}).get_bool(0, 0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(webhook)

BOOST_AUTO_TEST_CASE(approval_activates_once_with_one_email_and_one_message) {
    Buyer b = buyer(true, "es");
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto fields = confirmation(rec, 1, ref);
    epayco_holds(ref, fields);
    for (int i = 0; i < 3; ++i) {
        auto r = deliver(fields, i != 1);  // POST, GET, POST
        BOOST_TEST(r.status == 200, r.body);
        BOOST_TEST(r.body == R"({"received":true})");
    }
    // Stored once, and nothing applied before ePayco has answered.
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_references WHERE provider_ref = $1", {ref}).get_int(0, 0) == 1);
    BOOST_TEST(record_state(rec.id) == "pending");
    BOOST_TEST(verify() == 1);
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(active_subscriptions(b.id) == 1);
    BOOST_TEST(tier(b.id) == "prime");
    BOOST_TEST(outbox_rows(b.id, "telegram") == 1);
    BOOST_TEST(outbox_rows(b.id, "email") == 1);
    auto msg = db().exec("SELECT payload->>'text' FROM outbox WHERE user_id = $1 AND kind = 'telegram'", {b.id}).get(0, 0);
    BOOST_TEST(msg.find("Suscripción activada") != std::string::npos, msg);
    auto email = Json::parse(db().exec("SELECT payload::text FROM outbox WHERE user_id = $1 AND kind = 'email'", {b.id}).get(0, 0));
    BOOST_TEST(email["html"].get<std::string>().find("<p>") != std::string::npos);
    BOOST_TEST(email["text"].get<std::string>().find(rec.invoice) != std::string::npos);
    BOOST_TEST(confirmation_outcome(ref, 1) == "applied:" + std::to_string(rec.id));
    // The guard sees PRIME at once.
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "prime");
    // More deliveries later: one recheck at most, and a replay of ePayco's answer changes nothing.
    allow_recheck(ref);
    BOOST_TEST(deliver(fields).status == 200);
    verify();
    BOOST_TEST(active_subscriptions(b.id) == 1);
    BOOST_TEST(days_left(b.id) == 30);
    BOOST_TEST(outbox_rows(b.id, "telegram") == 1);
}

BOOST_AUTO_TEST_CASE(a_claimed_state_with_a_victims_extras_cannot_cancel_their_payment) {
    Buyer victim = buyer(), attacker = buyer();
    Record target = pending_record(victim);
    Record own = pending_record(attacker);
    // The attacker's own transaction, which ePayco really declined, for the same amount.
    const std::string attacker_ref = new_ref();
    epayco_holds(attacker_ref, confirmation(own, 2, attacker_ref));
    for (int code : {2, 4, 9, 10, 11, 12}) {
        // The signed tuple is the attacker's; state and extras are the attacker's choice.
        Pairs forged = with(confirmation(own, code, attacker_ref), "x_extra1", std::to_string(victim.id));
        forged = with(forged, "x_extra3", std::to_string(target.id));
        forged = with(forged, "x_id_invoice", target.invoice);
        auto r = deliver(forged);
        BOOST_TEST(r.status == 200);
        BOOST_TEST(r.body == R"({"received":true})");  // nothing to tell a hit from a miss
        allow_recheck(attacker_ref);
        verify();
    }
    BOOST_TEST(record_state(target.id) == "pending");
    BOOST_TEST(!record_flagged(target.id));
    BOOST_TEST(!record_ref(target.id));
    BOOST_TEST(record_state(own.id) == "declined");  // what ePayco said, about the attacker's own record
    // The victim's real approval then goes through.
    settle(confirmation(target, 1, new_ref()));
    BOOST_TEST(record_state(target.id) == "approved");
    BOOST_TEST(tier(victim.id) == "prime");
}

BOOST_AUTO_TEST_CASE(a_reversal_claimed_with_a_victims_extras_takes_back_only_the_attackers_payment) {
    Buyer victim = buyer(), attacker = buyer();
    Record target = pending_record(victim);
    settle(confirmation(target, 1, new_ref()));
    BOOST_TEST_REQUIRE(tier(victim.id) == "prime");
    Record own = pending_record(attacker);
    const std::string attacker_ref = new_ref();
    settle(confirmation(own, 1, attacker_ref));
    epayco_holds(attacker_ref, confirmation(own, 6, attacker_ref));  // ePayco confirms: reversed
    Pairs forged = with(with(confirmation(own, 6, attacker_ref), "x_extra1", std::to_string(victim.id)), "x_extra3",
                        std::to_string(target.id));
    allow_recheck(attacker_ref);
    BOOST_TEST(deliver(forged).status == 200);
    verify();
    BOOST_TEST(record_state(target.id) == "approved");
    BOOST_TEST(tier(victim.id) == "prime");
    BOOST_TEST(days_left(victim.id) == 30);
    BOOST_TEST(record_state(own.id) == "reversed");
    BOOST_TEST(tier(attacker.id) == "free");
}

BOOST_AUTO_TEST_CASE(a_validated_answer_of_another_amount_currency_or_invoice_changes_no_record) {
    Buyer b = buyer();
    const std::vector<std::pair<std::string, std::string>> wrong = {{"x_amount", "9.99"}, {"x_currency_code", "COP"},
                                                                     {"x_id_invoice", "PNP-ZZZZZZZZZZZZ"}, {"x_extra2", "prime-lifetime-usd"},
                                                                     {"x_extra3", "999999999"}};
    for (const auto& [field, value] : wrong) {
        Record rec = pending_record(b);
        const std::string ref = new_ref();
        epayco_holds(ref, with(confirmation(rec, 1, ref), field, value));
        BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);
        verify();
        BOOST_TEST(record_state(rec.id) == "pending", field);
        BOOST_TEST(!record_flagged(rec.id), field);
        BOOST_TEST(!record_ref(rec.id), field);
        BOOST_TEST(confirmation_outcome(ref, 1) == "mismatch:none", field);
    }
    BOOST_TEST(active_subscriptions(b.id) == 0);
    // Amounts compare as decimals; currencies case-insensitively; the invoice may be decorated.
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto answer = with(confirmation(rec, 1, ref, "10.000", "usd"), "x_id_invoice", "shop_" + rec.invoice + "-1700000000000");
    epayco_holds(ref, answer);
    deliver(confirmation(rec, 1, ref));
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(claims_epayco_does_not_back_plant_nothing) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();  // ePayco has never heard of it
    BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);
    verify();
    BOOST_TEST(record_state(rec.id) == "pending");
    BOOST_TEST(!record_flagged(rec.id));
    BOOST_TEST(!record_ref(rec.id));
    auto row = db().exec("SELECT payment_record_id IS NULL, candidate_record_id IS NULL, attempts FROM payment_references "
                         "WHERE provider_ref = $1", {ref});
    BOOST_TEST(row.get_bool(0, 0));
    BOOST_TEST(row.get_bool(0, 1));
    // Asked again (not found can be ePayco being slow), then given up on.
    db().exec("UPDATE payment_references SET due_at = now() WHERE provider_ref = $1 AND due_at IS NOT NULL", {ref});
    verify();
    auto after = db().exec("SELECT due_at IS NULL, last_error FROM payment_references WHERE provider_ref = $1", {ref});
    BOOST_TEST(after.get_bool(0, 0));
    BOOST_TEST(after.get(0, 1).find("does not know") != std::string::npos);
    BOOST_TEST(validation_calls(ref) == 2);
    // A later approval for the record's real reference is unaffected.
    settle(confirmation(rec, 1, new_ref()));
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(a_replayed_claim_costs_one_call_to_epayco) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    auto fields = confirmation(rec, 1, ref);
    settle(fields);
    BOOST_TEST_REQUIRE(record_state(rec.id) == "approved");
    for (int i = 0; i < 50; ++i) BOOST_TEST(deliver(with(fields, "x_cod_transaction_state", std::to_string(i % 12 + 1))).status == 200);
    verify();
    BOOST_TEST(validation_calls(ref) == 1);  // the recheck waits recheck_seconds after the last check
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_references WHERE provider_ref = $1", {ref}).get_int(0, 0) == 1);
    BOOST_TEST(db().exec("SELECT due_at > now() FROM payment_references WHERE provider_ref = $1", {ref}).get_bool(0, 0));
}

BOOST_AUTO_TEST_CASE(epayco_unreachable_the_claim_waits_and_is_applied_once_it_answers) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    epayco_holds(ref, confirmation(rec, 1, ref));
    epayco_mode("down");
    BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);  // durable: ePayco's mood doesn't matter
    verify();
    epayco_mode("ok");
    BOOST_TEST(record_state(rec.id) == "pending");
    auto row = db().exec("SELECT due_at > now(), attempts, last_error FROM payment_references WHERE provider_ref = $1", {ref});
    BOOST_TEST(row.get_bool(0, 0));  // backing off
    BOOST_TEST(row.get_int(0, 1) == 1);
    BOOST_TEST(row.get(0, 2).find("no usable answer (HTTP 503)") != std::string::npos, row.get(0, 2));
    db().exec("UPDATE payment_references SET due_at = now() WHERE provider_ref = $1", {ref});  // the backoff has passed
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(db().exec("SELECT attempts FROM payment_references WHERE provider_ref = $1", {ref}).get_int(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(failed_tries_while_epayco_is_down_do_not_count_as_it_not_knowing_the_reference) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    epayco_mode("down");
    deliver(confirmation(rec, 1, ref));
    for (int i = 0; i < 6; ++i) {  // many tries while ePayco is down
        db().exec("UPDATE payment_references SET due_at = now() WHERE provider_ref = $1", {ref});
        verify();
    }
    epayco_mode("ok");
    db().exec("UPDATE payment_references SET due_at = now() WHERE provider_ref = $1", {ref});
    verify();  // up again, but it doesn't know the reference yet
    BOOST_TEST(db().exec("SELECT due_at IS NOT NULL FROM payment_references WHERE provider_ref = $1", {ref}).get_bool(0, 0));
    epayco_holds(ref, confirmation(rec, 1, ref));
    db().exec("UPDATE payment_references SET due_at = now() WHERE provider_ref = $1", {ref});
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(answers_that_are_not_epaycos_are_asked_again) {
    // A proxy's 403, a 200 that isn't JSON: no answer at all, never "not found".
    BOOST_TEST(!epayco_validation_from(403, "<html>denied</html>").reachable);
    BOOST_TEST(!epayco_validation_from(200, "<html>maintenance</html>").reachable);
    BOOST_TEST(!epayco_validation_from(408, "").reachable);
    BOOST_TEST(epayco_validation_from(404, "").reachable);
    BOOST_TEST(!epayco_validation_from(404, "").found);
}

BOOST_AUTO_TEST_CASE(a_nul_in_a_claimed_field_is_stored_without_it) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    auto fields = with(confirmation(rec, 1, ref), "x_extra4", std::string("a\0b", 3));
    epayco_holds(ref, fields);
    auto r = deliver(fields);
    BOOST_TEST(r.status == 200, r.body);
    BOOST_TEST(db().exec("SELECT claim_payload->>'x_extra4' FROM payment_references WHERE provider_ref = $1", {ref}).get(0, 0) == "ab");
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(validation_answers_with_numbers_still_confirm) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    Json data = {{"x_ref_payco", std::stoll(ref)}, {"x_cod_transaction_state", 1}, {"x_amount", 10}, {"x_currency_code", "USD"},
                 {"x_id_invoice", rec.invoice}, {"x_extra1", rec.user}, {"x_extra2", rec.plan}, {"x_extra3", rec.id}};
    testing::http("POST", fake + "/__validation", Json({{ref, data}}).dump());
    BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(forged_and_malformed_confirmations_are_400_and_store_nothing) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto good = confirmation(rec, 3, ref);
    auto without = [&](const std::string& key) {
        Pairs f;
        for (auto& kv : good)
            if (kv.first != key) f.push_back(kv);
        return f;
    };
    std::vector<Pairs> bad = {with(good, "x_signature", std::string(64, 'a')), with(good, "x_amount", "10.01"),  // changed after signing
                              with(good, "x_ref_payco", ref + "1"), with(good, "x_cust_id_cliente", "99999"),
                              without("x_signature"), without("x_ref_payco"), without("x_amount"), without("x_transaction_id"),
                              with(good, "x_signature", "zz"), with(good, "x_ref_payco", "a/b"), with(good, "x_amount", "1e3"),
                              with(good, "x_currency_code", "US")};
    for (const auto& f : bad) {
        auto r = deliver(f);
        BOOST_TEST(r.status == 400, form(f));
        BOOST_TEST(body_json(r)["error"]["code"].is_string());
    }
    BOOST_TEST(body_json(deliver(without("x_amount")))["error"]["field"] == "x_amount");
    BOOST_TEST(epayco_webhook::handle(webhook_settings, make_request("POST", "/api/webhook/epayco", "x_ref_payco=%zz",
                                                   {{"content-type", "application/x-www-form-urlencoded"}})).status == 400);
    BOOST_TEST(epayco_webhook::handle(webhook_settings, make_request("POST", "/api/webhook/epayco", "{}", {{"content-type", "application/json"}})).status == 415);
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_references WHERE provider_ref LIKE $1", {ref + "%"}).get_int(0, 0) == 0);
    BOOST_TEST(record_state(rec.id) == "pending");
}

BOOST_AUTO_TEST_CASE(every_state_code) {
    const std::map<int, std::string> expected = {{2, "declined"}, {3, "pending"}, {4, "failed"}, {7, "held"}, {8, "started"},
                                                 {9, "expired"}, {10, "abandoned"}, {11, "cancelled"}, {12, "antifraud"}};
    Buyer b = buyer();
    for (auto [code, state] : expected) {
        Record rec = pending_record(b);
        settle(confirmation(rec, code, new_ref()));
        BOOST_TEST(record_state(rec.id) == state, code);
        BOOST_TEST(!record_flagged(rec.id), code);
    }
    BOOST_TEST(outbox_rows(b.id, "telegram") == 9);  // the user is told each time
    BOOST_TEST(active_subscriptions(b.id) == 0);
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    settle(confirmation(rec, 5, ref));  // unknown: stored, flagged, pending-like
    auto row = db().exec("SELECT state, flag_reason FROM payment_records WHERE id = $1", {rec.id});
    BOOST_TEST(row.get(0, 0) == "pending");
    BOOST_TEST(row.get(0, 1).find("unknown") != std::string::npos);
    BOOST_TEST(db().exec("SELECT state FROM payment_references WHERE provider_ref = $1", {ref}).get(0, 0) == "unknown");
}

BOOST_AUTO_TEST_CASE(replayed_declined_fields_claiming_approval_do_not_activate) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto declined = confirmation(rec, 2, ref);
    settle(declined);
    BOOST_TEST(record_state(rec.id) == "declined");
    allow_recheck(ref);
    BOOST_TEST(deliver(with(declined, "x_cod_transaction_state", "1")).status == 200);  // the signature doesn't cover it
    verify();
    BOOST_TEST(record_state(rec.id) == "declined");
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(tier(b.id) == "free");
}

BOOST_AUTO_TEST_CASE(an_approval_epayco_confirms_after_a_refusal_is_applied) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    settle(confirmation(rec, 2, ref));
    BOOST_TEST_REQUIRE(record_state(rec.id) == "declined");
    allow_recheck(ref);
    settle(confirmation(rec, 1, ref));  // ePayco now says approved: its word wins
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(tier(b.id) == "prime");
    // The same for a second transaction on a record marked expired.
    Record later = pending_record(b);
    settle(confirmation(later, 9, new_ref()));
    settle(confirmation(later, 1, new_ref()));
    BOOST_TEST(record_state(later.id) == "approved");
    BOOST_TEST(days_left(b.id) == 60);
}

BOOST_AUTO_TEST_CASE(two_transactions_for_one_record_are_two_purchases_and_admins_are_told) {
    long long admin = admin_user();
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string first = new_ref(), second = new_ref();
    settle(confirmation(rec, 1, first));
    settle(confirmation(rec, 1, second));  // a second tab paid for the same checkout
    BOOST_TEST(days_left(b.id) == 60);
    BOOST_TEST(*record_ref(rec.id) == first);  // the first validated reference stays the record's
    BOOST_TEST(outbox_rows(b.id, "telegram") == 2);
    auto notice = db().exec("SELECT payload->>'text' FROM outbox WHERE user_id = $1 AND dedupe_key LIKE 'second-payment:%'", {admin});
    BOOST_TEST_REQUIRE(notice.rows() == 1);
    BOOST_TEST(notice.get(0, 0).find(second) != std::string::npos);
    // Reversing one of them leaves the other's days and the record approved.
    allow_recheck(second);
    settle(confirmation(rec, 6, second));
    BOOST_TEST(days_left(b.id) == 30);
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(tier(b.id) == "prime");
}

BOOST_AUTO_TEST_CASE(a_reversal_takes_back_only_the_reversed_payments_days) {
    long long admin = admin_user();
    Buyer b = buyer();
    Record first = pending_record(b), second = pending_record(b);
    const std::string first_ref = new_ref(), second_ref = new_ref();
    settle(confirmation(first, 1, first_ref));
    settle(confirmation(second, 1, second_ref));
    BOOST_TEST_REQUIRE(days_left(b.id) == 60);
    allow_recheck(first_ref);
    allow_recheck(second_ref);
    settle(confirmation(second, 6, second_ref));
    BOOST_TEST(record_state(second.id) == "reversed");
    BOOST_TEST(days_left(b.id) == 30);  // the first payment's 30 days stay
    BOOST_TEST(tier(b.id) == "prime");
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "prime");
    BOOST_TEST(db().exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND dedupe_key LIKE 'reversal:%'", {admin}).get_int(0, 0) == 1);
    settle(confirmation(first, 6, first_ref));
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(tier(b.id) == "free");
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "free");
    // A reversal of a payment that was never approved does nothing.
    Record third = pending_record(b);
    const std::string third_ref = new_ref();
    settle(confirmation(third, 2, third_ref));
    allow_recheck(third_ref);
    settle(confirmation(third, 6, third_ref));
    BOOST_TEST(record_state(third.id) == "declined");
    BOOST_TEST(confirmation_outcome(third_ref, 6) == "ignored_transition:" + std::to_string(third.id));
}

BOOST_AUTO_TEST_CASE(reversing_a_lifetime_upgrade_restores_the_dated_end) {
    Buyer b = buyer();
    Record month = pending_record(b), life = pending_record(b, "prime-lifetime-usd");
    const std::string life_ref = new_ref();
    settle(confirmation(month, 1, new_ref()));
    settle(confirmation(life, 1, life_ref));
    BOOST_TEST_REQUIRE(days_left(b.id) == -2);
    allow_recheck(life_ref);
    settle(confirmation(life, 6, life_ref));
    BOOST_TEST(days_left(b.id) == 30);
    // A lifetime bought with nothing before it is revoked whole.
    Buyer c = buyer();
    Record only = pending_record(c, "prime-lifetime-usd");
    const std::string only_ref = new_ref();
    settle(confirmation(only, 1, only_ref));
    allow_recheck(only_ref);
    settle(confirmation(only, 6, only_ref));
    BOOST_TEST(active_subscriptions(c.id) == 0);
    BOOST_TEST(tier(c.id) == "free");
}

BOOST_AUTO_TEST_CASE(days_and_lifetimes_reversed_in_any_order_leave_exactly_what_was_paid) {
    // A month, then a lifetime; the month is charged back first, then the lifetime: nothing left.
    Buyer a = buyer();
    Record month = pending_record(a), life = pending_record(a, "prime-lifetime-usd");
    const std::string month_ref = new_ref(), life_ref = new_ref();
    settle(confirmation(month, 1, month_ref));
    settle(confirmation(life, 1, life_ref));
    allow_recheck(month_ref);
    settle(confirmation(month, 6, month_ref));
    BOOST_TEST(days_left(a.id) == -2);  // the lifetime still holds
    allow_recheck(life_ref);
    settle(confirmation(life, 6, life_ref));
    BOOST_TEST(active_subscriptions(a.id) == 0);
    BOOST_TEST(tier(a.id) == "free");
    // A lifetime, then a month bought while it held: reversing the lifetime keeps the paid month.
    Buyer b = buyer();
    Record life_b = pending_record(b, "prime-lifetime-usd"), month_b = pending_record(b);
    const std::string life_b_ref = new_ref();
    settle(confirmation(life_b, 1, life_b_ref));
    settle(confirmation(month_b, 1, new_ref()));
    BOOST_TEST(days_left(b.id) == -2);
    allow_recheck(life_b_ref);
    settle(confirmation(life_b, 6, life_b_ref));
    BOOST_TEST(days_left(b.id) == 30);
    BOOST_TEST(tier(b.id) == "prime");
}

BOOST_AUTO_TEST_CASE(an_approval_recorded_before_the_verifier_existed_can_still_be_reversed) {
    // As db/deploy/payment_references.sql carries an earlier approval over: bound, approved, with
    // the grant its plan gave.
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    long long sub = -1;
    db().transaction([&] { sub = grant_subscription(b.id, "prime-monthly-usd", 30, rec.id).subscription_id; });
    db().exec("UPDATE payment_records SET state = 'approved', state_code = 1, provider_ref = $2 WHERE id = $1", {rec.id, ref});
    db().exec("INSERT INTO payment_references (provider_ref, source, payment_record_id, state, state_code, granted_subscription_id, "
              "granted_days, due_at, checked_at) VALUES ($1, 'reconciliation', $2, 'approved', 1, $3, 30, NULL, now() - interval '1 hour')",
              {ref, rec.id, sub});
    // … and a row the earlier code logged for it, which decides nothing now.
    db().exec("INSERT INTO payment_confirmations (provider_ref, state_code, raw_payload, outcome) VALUES ($1, 6, '{}', 'unmatched')", {ref});
    settle(confirmation(rec, 6, ref));
    BOOST_TEST(record_state(rec.id) == "reversed");
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(confirmation_outcome(ref, 6) == "applied:" + std::to_string(rec.id));
}

BOOST_AUTO_TEST_CASE(two_first_approvals_for_one_user_at_once_both_apply) {
    for (int round = 0; round < 3; ++round) {
        Buyer b = buyer();
        Record one = pending_record(b), two = pending_record(b);
        std::vector<EpaycoTransaction> answers;
        for (const Record* rec : {&one, &two}) {
            const std::string ref = new_ref();
            db().exec("INSERT INTO payment_references (provider_ref, source, due_at) VALUES ($1, 'webhook', NULL)", {ref});
            Json data = Json::object();
            for (auto& [k, v] : confirmation(*rec, 1, ref)) data[k] = v;
            answers.push_back(epayco_transaction_from(data));
        }
        // Two processes, each with its own connections, released together.
        db().disconnect();
        redis().disconnect();
        int gate[2];
        BOOST_TEST_REQUIRE(pipe(gate) == 0);
        std::vector<pid_t> children;
        for (const auto& answer : answers) {
            pid_t pid = fork();
            if (pid == 0) {
                char c;
                close(gate[1]);
                if (read(gate[0], &c, 1) != 1) _exit(3);
                try {
                    _exit(apply_verified_transaction(answer, 30).outcome == "applied" ? 0 : 1);
                } catch (...) {
                    _exit(2);
                }
            }
            children.push_back(pid);
        }
        close(gate[0]);
        BOOST_TEST_REQUIRE(write(gate[1], "go", 2) == 2);
        close(gate[1]);
        for (pid_t pid : children) {
            int status = 0;
            waitpid(pid, &status, 0);
            BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0), "child exit " << status);
        }
        BOOST_TEST(active_subscriptions(b.id) == 1);
        BOOST_TEST(days_left(b.id) == 60);
    }
}

BOOST_AUTO_TEST_CASE(extension_adds_the_plan_duration_and_lifetime_has_no_end) {
    Buyer b = buyer();
    for (int i = 0; i < 2; ++i) settle(confirmation(pending_record(b), 1, new_ref()));
    BOOST_TEST(days_left(b.id) == 60);
    settle(confirmation(pending_record(b, "prime-lifetime-usd"), 1, new_ref()));
    BOOST_TEST(days_left(b.id) == -2);
    settle(confirmation(pending_record(b), 1, new_ref()));
    BOOST_TEST(days_left(b.id) == -2);
    BOOST_TEST(active_subscriptions(b.id) == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jobs)

BOOST_AUTO_TEST_CASE(reconciliation_asks_again_about_open_references) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    const std::string ref = new_ref();
    settle(confirmation(rec, 3, ref));  // pending with the bank
    BOOST_TEST_REQUIRE(record_state(rec.id) == "pending");
    // The approval is never delivered; twenty quiet minutes later reconciliation asks.
    epayco_holds(ref, confirmation(rec, 1, ref));
    auto due = [&] { return !db().exec("SELECT due_at IS NULL FROM payment_references WHERE provider_ref = $1", {ref}).get_bool(0, 0); };
    schedule_rechecks(15);
    BOOST_TEST(!due());  // not yet: asked a moment ago
    db().exec("UPDATE payment_references SET checked_at = now() - interval '20 minutes' WHERE provider_ref = $1", {ref});
    schedule_rechecks(15);
    BOOST_TEST(due());
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(active_subscriptions(b.id) == 1);
    BOOST_TEST(db().exec("SELECT source FROM payment_confirmations WHERE provider_ref = $1 AND state_code = 1", {ref}).get(0, 0) == "webhook");
    // A final reference is never asked about again.
    db().exec("UPDATE payment_references SET checked_at = now() - interval '20 minutes' WHERE provider_ref = $1", {ref});
    schedule_rechecks(15);
    BOOST_TEST(db().exec("SELECT due_at IS NULL FROM payment_references WHERE provider_ref = $1", {ref}).get_bool(0, 0));
}

BOOST_AUTO_TEST_CASE(reminders_once_and_expiry_drops_the_tier) {
    Buyer b = buyer(true, "es");
    db().exec("INSERT INTO subscriptions (user_id, plan_id, status, starts_at, ends_at) "
              "VALUES ($1, 'prime-monthly-usd', 'active', now() - interval '28 days', now() + interval '2 days')", {b.id});
    db().exec("UPDATE users SET tier = 'prime' WHERE id = $1", {b.id});
    send_expiry_reminders();
    send_expiry_reminders();
    BOOST_TEST(outbox_rows(b.id, "telegram") == 1);
    BOOST_TEST(outbox_rows(b.id, "email") == 1);
    BOOST_TEST(db().exec("SELECT payload->>'text' FROM outbox WHERE user_id = $1 AND kind = 'telegram'", {b.id}).get(0, 0).find("termina el") != std::string::npos);
    db().exec("UPDATE subscriptions SET starts_at = now() - interval '31 days', ends_at = now() - interval '1 minute' "
              "WHERE user_id = $1", {b.id});
    expire_subscriptions();
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(tier(b.id) == "free");
    BOOST_TEST(outbox_rows(b.id, "telegram") == 2);
    expire_subscriptions();  // once: no second notice
    BOOST_TEST(outbox_rows(b.id, "telegram") == 2);
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "free");
}

BOOST_AUTO_TEST_CASE(delivered_rows_are_pruned_after_retention) {
    Buyer b = buyer();
    const char* insert = "INSERT INTO outbox (kind, user_id, payload, delivered_at) VALUES ('telegram', $1, '{}', now() - $2::interval) RETURNING id";
    long long old = db().exec(insert, {b.id, "31 days"}).get_int(0, 0);
    long long recent = db().exec(insert, {b.id, "1 day"}).get_int(0, 0);
    prune_delivered_outbox(30);
    auto kept = db().exec("SELECT id FROM outbox WHERE user_id = $1", {b.id});
    BOOST_TEST_REQUIRE(kept.rows() == 1);
    BOOST_TEST(kept.get_int(0, 0) == recent);
    BOOST_TEST(kept.get_int(0, 0) != old);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_late_approval_for_a_deleted_account_tells_nobody_on_telegram) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    // The account was deleted (as profile's DELETE leaves it) before ePayco's answer came.
    db().exec("UPDATE users SET telegram_id = NULL, email = NULL, deleted_at = now(), banned_at = now() WHERE id = $1", {b.id});
    long long admin = admin_user();
    const std::string ref = new_ref();
    settle(confirmation(rec, 1, ref));
    BOOST_TEST(record_state(rec.id) == "approved");  // the money is accounted for …
    BOOST_TEST(outbox_rows(b.id, "telegram") == 0);   // … no message goes to a chat that is gone …
    BOOST_TEST(active_subscriptions(b.id) == 0);      // … nothing is granted to nobody …
    auto told = db().exec("SELECT payload->>'text' AS text FROM outbox WHERE user_id = $1 AND dedupe_key LIKE $2",
                          {admin, "deleted-account:" + ref + "%"});
    BOOST_TEST_REQUIRE(told.rows() == 1);            // … and the admins are told to refund it
    BOOST_TEST(told.get(0, "text").find("refund") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(pending_records_nobody_paid_are_closed_as_abandoned_and_claimed_ones_never) {
    Buyer b = buyer();
    Record bare = pending_record(b), claimed = pending_record(b, "prime-lifetime-usd"), candidate = pending_record(b), young = pending_record(b);
    db().exec("UPDATE payment_records SET created_at = now() - interval '2 days' WHERE id IN ($1, $2, $3)", {bare.id, claimed.id, candidate.id});
    // A signed claim waiting for ePayco names one (its extra3), a return names another.
    db().exec("INSERT INTO payment_references (provider_ref, source, claim_payload, due_at) VALUES ($1, 'webhook', $2::jsonb, now())",
              {new_ref(), Json{{"x_extra3", std::to_string(claimed.id)}, {"x_id_invoice", "x"}}.dump()});
    db().exec("INSERT INTO payment_references (provider_ref, source, candidate_record_id) VALUES ($1, 'return', $2)", {new_ref(), candidate.id});
    BOOST_TEST(close_abandoned_records(24) >= 1);
    BOOST_TEST(record_state(bare.id) == "abandoned");
    BOOST_TEST(record_state(claimed.id) == "pending");
    BOOST_TEST(record_state(candidate.id) == "pending");
    BOOST_TEST(record_state(young.id) == "pending");
    // Idempotent: a second run finds nothing more to close.
    BOOST_TEST(close_abandoned_records(24) == 0);
}

namespace {
Response tip(const Buyer& b, const Json& body) {
    return pay(make_request("POST", std::string(payment::donations_path), body.dump(), {{"content-type", "application/json"}, {"cookie", b.cookie}}));
}
// A stream its host may run: a PRIME host.
long long live_stream_of(const Buyer& host, bool prime_only = false) {
    db().exec("UPDATE users SET tier = 'prime' WHERE id = $1", {host.id});
    return db().exec("INSERT INTO live_streams (host_id, channel, prime_only) VALUES ($1, $2, $3) RETURNING id",
                     {host.id, "live-" + std::to_string(testing::unique_number()), prime_only}).get_int(0, 0);
}
long long realtime_events(long long stream, const std::string& type) {
    return db().exec("SELECT count(*) FROM outbox WHERE kind = 'realtime' AND payload->>'channel' = $1 AND payload->'event'->>'type' = $2",
                     {"room-live-" + std::to_string(stream), type}).get_int(0, 0);
}
std::string donated(long long stream, const std::string& currency) {
    return db().exec("SELECT COALESCE(sum(amount), 0)::text FROM payment_records WHERE live_stream_id = $1 AND purpose = 'donation' "
                     "AND state = 'approved' AND currency = $2", {stream, currency}).get(0, 0);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(donations)

BOOST_AUTO_TEST_CASE(a_tip_uses_the_same_checkout_and_reaches_the_stream_once_epayco_approves_it) {
    Buyer host = buyer(true, "es"), fan = buyer(true, "en");
    db().exec("UPDATE users SET display_name = 'Fan One' WHERE id = $1", {fan.id});
    const long long stream = live_stream_of(host);
    auto amounts = pay(make_request("GET", std::string(payment::donations_path)));
    BOOST_TEST(amounts.status == 200);
    BOOST_TEST(body_json(amounts)["amounts"]["USD"][1] == "5.00");
    auto r = tip(fan, {{"stream_id", stream}, {"amount", "5"}, {"currency", "USD"}, {"message", "  great show  "}});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    Json checkout = body_json(r);
    BOOST_TEST(checkout["amount"] == "5.00");
    BOOST_TEST(checkout["params"]["extra2"] == "donation");
    BOOST_TEST(checkout["params"]["name"] == "PNPtv tip");
    auto row = db().exec("SELECT id, purpose, plan_id IS NULL, donation_message, amount::text FROM payment_records WHERE invoice = $1",
                         {checkout["invoice"].get<std::string>()});
    BOOST_TEST_REQUIRE(row.rows() == 1);
    BOOST_TEST(row.get(0, 1) == "donation");
    BOOST_TEST(row.get_bool(0, 2));
    BOOST_TEST(row.get(0, 3) == "great show");
    Record rec{row.get_int(0, 0), checkout["invoice"], "5.00", "USD", "donation", fan.id};
    // The claim alone does nothing; ePayco's validated approval does, once.
    const std::string ref = new_ref();
    auto fields = confirmation(rec, 1, ref);
    BOOST_TEST(deliver(fields).status == 200);
    BOOST_TEST(realtime_events(stream, "donation") == 0);
    epayco_holds(ref, fields);
    verify();
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(active_subscriptions(fan.id) == 0);  // a tip buys nothing
    BOOST_TEST(tier(fan.id) == "free");
    BOOST_TEST(donated(stream, "USD") == "5.00");
    auto event = db().exec("SELECT payload FROM outbox WHERE kind = 'realtime' AND dedupe_key = $1", {"donation:" + ref});
    BOOST_TEST_REQUIRE(event.rows() == 1);
    Json e = Json::parse(event.get(0, 0))["event"];
    BOOST_TEST(e["type"] == "donation");
    BOOST_TEST(e["donation"]["from"] == "Fan One");
    BOOST_TEST(e["donation"]["amount"] == "5.00");
    BOOST_TEST(e["donation"]["currency"] == "USD");
    BOOST_TEST(e["donation"]["message"] == "great show");
    BOOST_TEST(e["donation"]["total"] == "5.00");
    auto told = db().exec("SELECT payload->>'text' FROM outbox WHERE user_id = $1 AND kind = 'telegram'", {host.id});
    BOOST_TEST_REQUIRE(told.rows() == 1);
    BOOST_TEST(told.get(0, 0).find("Fan One") != std::string::npos, told.get(0, 0));
    BOOST_TEST(told.get(0, 0).find("great show") != std::string::npos, told.get(0, 0));
    BOOST_TEST(told.get(0, 0).find("propina") != std::string::npos, told.get(0, 0));  // the host's language
    BOOST_TEST(outbox_rows(fan.id, "telegram") == 1);  // thanked
    // Delivered again: nothing more.
    allow_recheck(ref);
    BOOST_TEST(deliver(fields).status == 200);
    verify();
    BOOST_TEST(realtime_events(stream, "donation") == 1);
    BOOST_TEST(outbox_rows(host.id, "telegram") == 1);
    // A second tip adds to the host's running total.
    auto again = tip(fan, {{"stream_id", stream}, {"amount", 10}, {"currency", "USD"}});
    BOOST_TEST_REQUIRE(again.status == 201, again.body);
    auto second_row = db().exec("SELECT id FROM payment_records WHERE invoice = $1", {body_json(again)["invoice"].get<std::string>()});
    Record second{second_row.get_int(0, 0), body_json(again)["invoice"], "10.00", "USD", "donation", fan.id};
    const std::string ref2 = new_ref();
    settle(confirmation(second, 1, ref2));
    BOOST_TEST(donated(stream, "USD") == "15.00");
    auto second_event = Json::parse(db().exec("SELECT payload FROM outbox WHERE dedupe_key = $1", {"donation:" + ref2}).get(0, 0));
    BOOST_TEST(second_event["event"]["donation"]["total"] == "15.00");
    BOOST_TEST(second_event["event"]["donation"]["message"].is_null());
    // ePayco reverses the first: it leaves the total, the fan is told it was a tip.
    allow_recheck(ref);
    settle(confirmation(rec, 6, ref));
    BOOST_TEST(record_state(rec.id) == "reversed");
    BOOST_TEST(donated(stream, "USD") == "10.00");
    auto reversed = db().exec("SELECT payload->>'text' FROM outbox WHERE user_id = $1 AND dedupe_key = $2", {fan.id, "reversal:" + ref + ":telegram"});
    BOOST_TEST_REQUIRE(reversed.rows() == 1);
    BOOST_TEST(reversed.get(0, 0).find("tip") != std::string::npos, reversed.get(0, 0));
    auto dropped = db().exec("SELECT payload FROM outbox WHERE dedupe_key = $1", {"donation-reversed:" + ref});
    BOOST_TEST_REQUIRE(dropped.rows() == 1);
    BOOST_TEST(Json::parse(dropped.get(0, 0))["event"]["donation"]["total"] == "10.00");
}

BOOST_AUTO_TEST_CASE(what_a_tip_may_not_carry_into_the_room) {
    Buyer host = buyer(), muted = buyer(), gone = buyer();
    const long long stream = live_stream_of(host);
    auto open_tip = [&](const Buyer& who) {
        auto r = tip(who, {{"stream_id", stream}, {"amount", "2"}, {"currency", "USD"}, {"message", "buy my stuff at evil.example"}});
        BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
        const std::string invoice = body_json(r)["invoice"];
        return Record{db().exec("SELECT id FROM payment_records WHERE invoice = $1", {invoice}).get_int(0, 0), invoice, "2.00", "USD", "donation", who.id};
    };
    // Muted in the stream's room by the time ePayco approves: the tip counts, its message is left out.
    Record from_muted = open_tip(muted);
    db().exec("INSERT INTO chat_mutes (room, user_id, until) VALUES ($1, $2, now() + interval '1 hour')", {"live-" + std::to_string(stream), muted.id});
    const std::string ref = new_ref();
    settle(confirmation(from_muted, 1, ref));
    auto event = Json::parse(db().exec("SELECT payload FROM outbox WHERE dedupe_key = $1", {"donation:" + ref}).get(0, 0));
    BOOST_TEST(event["event"]["donation"]["message"].is_null());
    BOOST_TEST(donated(stream, "USD") == "2.00");
    // The tipper deleted their account before the approval: the money is recorded (admins refund it), no host is credited.
    Record from_gone = open_tip(gone);
    db().exec("UPDATE users SET deleted_at = now(), banned_at = now(), telegram_id = NULL WHERE id = $1", {gone.id});
    const std::string ref2 = new_ref();
    settle(confirmation(from_gone, 1, ref2));
    BOOST_TEST(record_state(from_gone.id) == "approved");
    BOOST_TEST(record_flagged(from_gone.id));
    BOOST_TEST(db().exec("SELECT count(*) FROM outbox WHERE dedupe_key = $1", {"donation:" + ref2}).get_int(0, 0) == 0);
    auto total = db().exec("SELECT COALESCE(sum(amount), 0)::text FROM payment_records WHERE live_stream_id = $1 AND currency = 'USD' AND " +
                           std::string(counted_donation_sql), {stream}).get(0, 0);
    BOOST_TEST(total == "2.00");
    // A host who lost PRIME takes no more tips (their stream ended with it).
    db().exec("UPDATE users SET tier = 'free' WHERE id = $1", {host.id});
    auto late = tip(buyer(), {{"stream_id", stream}, {"amount", "2"}, {"currency", "USD"}});
    BOOST_TEST(late.status == 409);
    BOOST_TEST(body_json(late)["error"]["code"] == "stream_not_live");
}

BOOST_AUTO_TEST_CASE(a_confirmation_whose_extras_call_a_tip_a_plan_changes_nothing) {
    Buyer host = buyer(), fan = buyer();
    const long long stream = live_stream_of(host);
    auto r = tip(fan, {{"stream_id", stream}, {"amount", "2"}, {"currency", "USD"}});
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    const long long id = db().exec("SELECT id FROM payment_records WHERE invoice = $1", {body_json(r)["invoice"].get<std::string>()}).get_int(0, 0);
    Record as_plan{id, body_json(r)["invoice"], "2.00", "USD", "prime-monthly-usd", fan.id};
    const std::string ref = new_ref();
    settle(confirmation(as_plan, 1, ref));
    BOOST_TEST(record_state(id) == "pending");
    BOOST_TEST(active_subscriptions(fan.id) == 0);
    BOOST_TEST(confirmation_outcome(ref, 1) == "mismatch:none");
    // And a subscription's confirmation can't be passed off as a tip.
    Record sub = pending_record(fan);
    Record as_tip = sub;
    as_tip.plan = "donation";
    const std::string ref2 = new_ref();
    settle(confirmation(as_tip, 1, ref2));
    BOOST_TEST(record_state(sub.id) == "pending");
    BOOST_TEST(confirmation_outcome(ref2, 1) == "mismatch:none");
}

BOOST_AUTO_TEST_CASE(a_tip_is_refused_when_it_cant_be_one_and_stores_nothing) {
    Buyer host = buyer(), fan = buyer(), minor = buyer(false);
    const long long stream = live_stream_of(host), members_only = live_stream_of(buyer(), true);
    const long long ended = live_stream_of(buyer());
    db().exec("UPDATE live_streams SET status = 'ended', ended_at = now() WHERE id = $1", {ended});
    const long long before = db().exec("SELECT count(*) FROM payment_records WHERE purpose = 'donation'").get_int(0, 0);
    struct Case { Json body; const Buyer* who; long status; std::string code; };
    const Json ok = {{"stream_id", stream}, {"amount", "5"}, {"currency", "USD"}};
    auto with_field = [&](const char* k, const Json& v) { Json b = ok; b[k] = v; return b; };
    for (const auto& c : std::vector<Case>{
             {with_field("amount", "3"), &fan, 422, "invalid_field"},
             {with_field("amount", "5.001"), &fan, 422, "invalid_field"},
             {with_field("amount", -5), &fan, 422, "invalid_field"},
             {with_field("amount", "5e3"), &fan, 422, "invalid_field"},
             {with_field("currency", "EUR"), &fan, 422, "invalid_field"},
             {with_field("currency", "COP"), &fan, 422, "invalid_field"},  // 5 isn't a COP amount
             {with_field("message", std::string(141, 'a')), &fan, 422, "invalid_length"},
             {with_field("message", "line\nbreak"), &fan, 422, "invalid_field"},
             {with_field("tip", true), &fan, 422, "unknown_field"},
             {with_field("stream_id", "1"), &fan, 422, "invalid_field"},
             {with_field("stream_id", ended), &fan, 409, "stream_not_live"},
             {with_field("stream_id", 999999999), &fan, 409, "stream_not_live"},
             {with_field("stream_id", members_only), &fan, 403, "prime_required"},
             {ok, &host, 409, "own_stream"},
             {ok, &minor, 403, "age_verification_required"},
         }) {
        auto r = tip(*c.who, c.body);
        BOOST_TEST(r.status == c.status, c.body.dump() << " → " << r.body);
        BOOST_TEST(body_json(r)["error"]["code"] == c.code, c.body.dump() << " → " << r.body);
    }
    BOOST_TEST(pay(make_request("POST", std::string(payment::donations_path), ok.dump(), {{"content-type", "application/json"}})).status == 401);
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_records WHERE purpose = 'donation'").get_int(0, 0) == before);
    // An amount offered in COP is fine.
    BOOST_TEST(tip(fan, {{"stream_id", stream}, {"amount", "10000"}, {"currency", "COP"}}).status == 201);
}

BOOST_AUTO_TEST_SUITE_END()
