// Payments against the run's PostgreSQL and Redis and a local fake of ePayco (validation and
// Checkout v2): the protocol vectors, the payment function, the confirmation webhook in every
// state and every bad form, replays, and the subscription jobs.
#define BOOST_TEST_MODULE payments
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <ctime>

#include "../functions/epayco-webhook/handler.hpp"
#include "../functions/payment/handler.hpp"
#include "crypto.hpp"
#include "epayco.hpp"
#include "payment_link.hpp"
#include "payments.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "session.hpp"
#include "testing.hpp"
#include "urlencoded.hpp"

using namespace pnptv;
using testing::body_json;
using testing::make_request;

namespace {

std::string fake;  // http://127.0.0.1:port of the fake ePayco

struct World {
    World() {
        fake = testing::start_fake_api();
        setenv("EPAYCO_API_BASE", fake.c_str(), 1);
        setenv("EPAYCO_APIFY_BASE", fake.c_str(), 1);
        setenv("EPAYCO_CUST_ID", "12345", 1);
        setenv("EPAYCO_P_KEY", "testkey123", 1);
        setenv("EPAYCO_PUBLIC_KEY", "pub-key", 1);
        setenv("EPAYCO_TEST", "true", 1);
        setenv("EPAYCO_VERIFY_REFERENCE", "true", 1);
        setenv("SESSION_SECRETS", "pay-secret", 1);
        setenv("PUBLIC_BASE_URL", "https://pnptv.test", 1);
        setenv("PAYMENT_LINK_SECRET", "link-secret", 1);
        setenv("COOKIE_SECURE", "true", 1);
    }
};
BOOST_TEST_GLOBAL_FIXTURE(World);

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
    SessionUser su;
    su.id = b.id;
    su.telegram_id = b.telegram_id;
    std::string sid = create_session(su);
    b.cookie = "connect.sid=" + session_cookie_value(sid, "pay-secret");
    return b;
}

Response create(const Buyer& b, const std::string& body, const std::string& type = "application/json") {
    return payment::handle(make_request("POST", "/api/payment/create-subscription", body, {{"content-type", type}, {"cookie", b.cookie}}));
}

struct Record {
    long long id;
    std::string invoice, amount, currency, plan;
    long long user;
};

Record pending_record(const Buyer& b, const std::string& plan = "prime-monthly-usd") {
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

// What ePayco's validation endpoint will say about a reference.
void epayco_holds(const std::string& ref, const Pairs& fields) {
    Json data = Json::object();
    for (auto& [k, v] : fields) data[k] = v;
    testing::http("POST", fake + "/__validation", Json({{ref, data}}).dump());
}

std::string form(const Pairs& fields) {
    std::string out;
    for (auto& [k, v] : fields) out += (out.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
    return out;
}

Response deliver(const Pairs& fields, bool post = true) {
    if (post)
        return epayco_webhook::handle(make_request("POST", "/api/webhook/epayco", form(fields),
                                                   {{"content-type", "application/x-www-form-urlencoded"}}));
    return epayco_webhook::handle(make_request("GET", "/api/webhook/epayco?" + form(fields)));
}

std::string new_ref() { return std::to_string(9'000'000 + testing::unique_number() % 1'000'000'000LL); }

std::string record_state(long long id) { return db().exec("SELECT state FROM payment_records WHERE id = $1", {id}).get(0, 0); }
long long active_subscriptions(long long user) {
    return db().exec("SELECT count(*) FROM subscriptions WHERE user_id = $1 AND status = 'active'", {user}).get_int(0, 0);
}
std::string tier(long long user) { return db().exec("SELECT tier FROM users WHERE id = $1", {user}).get(0, 0); }
long long outbox_rows(long long user, const std::string& kind) {
    return db().exec("SELECT count(*) FROM outbox WHERE user_id = $1 AND kind = $2", {user, kind}).get_int(0, 0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(protocol)

BOOST_AUTO_TEST_CASE(signature_vectors) {
    BOOST_TEST(epayco_signature("12345", "testkey123", "9001", "TX-1", "14.99", "USD") ==
               "63ce656525b25956a0a08a69e5e61cbae08808a3b618caf6085df53318fd7ee1");
    BOOST_TEST(epayco_signature("12345", "testkey123", "9002", "TX-2", "59900", "COP") ==
               "6ac0153b524773d1473a9bd7a2f72c3da852e57eb60224b7077fd3a828dea249");
}

BOOST_AUTO_TEST_CASE(state_codes_and_transitions) {
    BOOST_TEST(*epayco_state_name(1) == "approved");
    BOOST_TEST(*epayco_state_name(6) == "reversed");
    BOOST_TEST(*epayco_state_name(12) == "antifraud");
    BOOST_TEST(!epayco_state_name(5));
    BOOST_TEST(epayco_transition_allowed("pending", 1));
    BOOST_TEST(epayco_transition_allowed("held", 2));
    BOOST_TEST(epayco_transition_allowed("approved", 6));
    BOOST_TEST(!epayco_transition_allowed("approved", 3));
    BOOST_TEST(!epayco_transition_allowed("declined", 1));
    BOOST_TEST(!epayco_transition_allowed("reversed", 1));
}

BOOST_AUTO_TEST_CASE(invoice_only_as_a_whole_token) {
    BOOST_TEST(*find_invoice_token("PNP-ABCDEFGHJK12") == "PNP-ABCDEFGHJK12");
    BOOST_TEST(*find_invoice_token("shop_PNP-ABCDEFGHJK12-1700000000123") == "PNP-ABCDEFGHJK12");
    BOOST_TEST(!find_invoice_token("PNP-ABCDEFGHJK123"));   // longer: another invoice
    BOOST_TEST(!find_invoice_token("XPNP-ABCDEFGHJK12"));
    BOOST_TEST(!find_invoice_token("PNP-1"));
}

BOOST_AUTO_TEST_CASE(state_code_falls_back_to_cod_response) {
    BOOST_TEST(*confirmation_state_code({{"x_cod_transaction_state", "3"}}) == 3);
    BOOST_TEST(*confirmation_state_code({{"x_cod_transaction_state", ""}, {"x_cod_response", "1"}}) == 1);
    BOOST_TEST(!confirmation_state_code({{"x_cod_transaction_state", "x1"}}));
    BOOST_TEST(!confirmation_state_code({}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(payment_function)

BOOST_AUTO_TEST_CASE(plans_are_public) {
    auto r = payment::handle(make_request("GET", "/api/payment/plans"));
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

BOOST_AUTO_TEST_CASE(checkout_v2_session_and_provider_down) {
    setenv("EPAYCO_PRIVATE_KEY", "priv-key", 1);
    redis().command({"DEL", "epayco:apify:token"});
    Buyer b = buyer();
    auto r = create(b, R"({"plan_id":"prime-monthly-usd"})");
    BOOST_TEST(r.status == 201, r.body);
    BOOST_TEST(body_json(r)["mode"] == "session");
    BOOST_TEST(body_json(r)["sessionId"].get<std::string>().rfind("session-", 0) == 0u);
    BOOST_TEST(redis().command({"TTL", "epayco:apify:token"}).integer() <= 840);
    testing::http("POST", fake + "/__mode", R"({"epayco_mode":"down"})");
    auto down = create(b, R"({"plan_id":"prime-monthly-usd"})");
    BOOST_TEST(down.status == 503);
    BOOST_TEST(body_json(down)["error"]["code"] == "epayco_unavailable");
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_records WHERE user_id = $1 AND state = 'pending'", {b.id}).get_int(0, 0) == 1);
    testing::http("POST", fake + "/__mode", R"({"epayco_mode":"ok"})");
    BOOST_TEST(create(b, R"({"plan_id":"prime-monthly-usd"})").status == 201);  // the failed try doesn't block a retry
    unsetenv("EPAYCO_PRIVATE_KEY");
}

BOOST_AUTO_TEST_CASE(bad_requests) {
    Buyer b = buyer();
    BOOST_TEST(payment::handle(make_request("POST", "/api/payment/create-subscription", "{}", {{"content-type", "application/json"}})).status == 401);
    BOOST_TEST(create(b, "{\"plan_id\":").status == 400);
    BOOST_TEST(create(b, "[]").status == 400);
    BOOST_TEST(create(b, R"({"plan_id":7})").status == 400);
    BOOST_TEST(create(b, R"({"plan_id":"gold"})").status == 422);
    BOOST_TEST(body_json(create(b, R"({"plan_id":"gold"})"))["error"]["field"] == "plan_id");
    BOOST_TEST(create(b, "plan_id=x", "application/x-www-form-urlencoded").status == 415);
    BOOST_TEST(create(buyer(false), R"({"plan_id":"prime-monthly-usd"})").status == 403);
}

BOOST_AUTO_TEST_CASE(signed_bot_link_opens_the_checkout) {
    Buyer b = buyer();
    long long exp = std::time(nullptr) + 600;
    std::string link = payment_link(b.id, "prime-lifetime-usd", exp);
    auto ok = payment::handle(make_request("GET", link.substr(link.find("/api/"))));
    BOOST_TEST(ok.status == 200);
    BOOST_TEST(ok.body.find("checkout.js") != std::string::npos);
    BOOST_TEST(ok.body.find("\"extra2\":\"prime-lifetime-usd\"") != std::string::npos);
    std::string tampered = link.substr(link.find("/api/"));
    tampered.replace(tampered.find("prime-lifetime-usd"), 18, "prime-monthly-usd");
    BOOST_TEST(payment::handle(make_request("GET", tampered)).status == 403);
    std::string old = payment_link(b.id, "prime-monthly-usd", std::time(nullptr) - 1);
    auto expired = payment::handle(make_request("GET", old.substr(old.find("/api/"))));
    BOOST_TEST(expired.status == 403);
    BOOST_TEST(expired.body.find("expired") != std::string::npos);
    BOOST_TEST(payment::handle(make_request("GET", "/api/payment/checkout?u=1&p=x&exp=1&sig=zz")).status == 403);
}

BOOST_AUTO_TEST_CASE(status_of_ones_own_payment_only) {
    Buyer b = buyer(), other = buyer();
    Record rec = pending_record(b);
    auto mine = payment::handle(make_request("GET", "/api/payment/status/" + rec.invoice + "?ref_payco=777", {}, {{"cookie", b.cookie}}));
    BOOST_TEST(mine.status == 200);
    BOOST_TEST(body_json(mine)["state"] == "pending");
    BOOST_TEST(db().exec("SELECT provider_ref FROM payment_records WHERE id = $1", {rec.id}).get(0, 0) == "777");
    BOOST_TEST(payment::handle(make_request("GET", "/api/payment/status/" + rec.invoice, {}, {{"cookie", other.cookie}})).status == 404);
    BOOST_TEST(payment::handle(make_request("GET", "/api/payment/status/" + rec.invoice)).status == 401);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(webhook)

BOOST_AUTO_TEST_CASE(approval_activates_once_with_one_email_and_one_message) {
    Buyer b = buyer("es" == std::string("es"), "es");
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto fields = confirmation(rec, 1, ref);
    epayco_holds(ref, fields);
    for (int i = 0; i < 3; ++i) {
        auto r = deliver(fields, i != 1);  // POST, GET, POST
        BOOST_TEST(r.status == 200, r.body);
    }
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
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_confirmations WHERE provider_ref = $1", {ref}).get_int(0, 0) == 1);
    // The guard sees PRIME at once.
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "prime");
    // A later, lower state never downgrades it.
    auto pending = confirmation(rec, 3, ref);
    BOOST_TEST(deliver(pending).status == 200);
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(active_subscriptions(b.id) == 1);
}

BOOST_AUTO_TEST_CASE(replayed_declined_fields_claiming_approval_do_not_activate) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto declined = confirmation(rec, 2, ref);
    epayco_holds(ref, declined);  // what ePayco really holds
    BOOST_TEST(deliver(declined).status == 200);
    BOOST_TEST(record_state(rec.id) == "declined");
    auto forged = declined;
    for (auto& [k, v] : forged)
        if (k == "x_cod_transaction_state") v = "1";  // the signature still verifies: it doesn't cover the state
    auto r = deliver(forged);
    BOOST_TEST(r.status == 200);
    BOOST_TEST(record_state(rec.id) == "declined");
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(tier(b.id) == "free");
    // Even on a still-pending payment, a claimed approval ePayco doesn't back changes nothing.
    Record rec2 = pending_record(b);
    std::string ref2 = new_ref();
    epayco_holds(ref2, confirmation(rec2, 3, ref2));
    BOOST_TEST(deliver(confirmation(rec2, 1, ref2)).status == 200);
    BOOST_TEST(record_state(rec2.id) == "pending");
    BOOST_TEST(db().exec("SELECT flagged_at IS NOT NULL FROM payment_records WHERE id = $1", {rec2.id}).get_bool(0, 0));
    BOOST_TEST(active_subscriptions(b.id) == 0);
}

BOOST_AUTO_TEST_CASE(validation_answers_with_numbers_still_confirm) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    Json data = {{"x_ref_payco", std::stoll(ref)}, {"x_cod_transaction_state", 1}, {"x_amount", 10}, {"x_currency_code", "USD"}};
    testing::http("POST", fake + "/__validation", Json({{ref, data}}).dump());
    BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(validation_unreachable_is_503_and_changes_nothing) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    testing::http("POST", fake + "/__mode", R"({"epayco_mode":"down"})");
    auto r = deliver(confirmation(rec, 1, ref));
    testing::http("POST", fake + "/__mode", R"({"epayco_mode":"ok"})");
    BOOST_TEST(r.status == 503);
    BOOST_TEST(record_state(rec.id) == "pending");
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_confirmations WHERE provider_ref = $1", {ref}).get_int(0, 0) == 0);
    epayco_holds(ref, confirmation(rec, 1, ref));
    BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);  // ePayco's retry succeeds
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(forged_and_malformed_confirmations_are_400_and_change_nothing) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto good = confirmation(rec, 3, ref);
    auto with = [&](const std::string& key, const std::string& value) {
        Pairs f = good;
        bool found = false;
        for (auto& [k, v] : f)
            if (k == key) v = value, found = true;
        if (!found) f.emplace_back(key, value);
        return f;
    };
    auto without = [&](const std::string& key) {
        Pairs f;
        for (auto& kv : good)
            if (kv.first != key) f.push_back(kv);
        return f;
    };
    std::vector<Pairs> bad = {with("x_signature", std::string(64, 'a')), with("x_amount", "10.01"),  // changed after signing
                              with("x_ref_payco", ref + "1"), with("x_cust_id_cliente", "99999"),
                              without("x_signature"), without("x_ref_payco"), without("x_amount"),
                              without("x_cod_transaction_state"), with("x_signature", "zz")};
    for (const auto& f : bad) {
        auto r = deliver(f);
        BOOST_TEST(r.status == 400, form(f));
        BOOST_TEST(body_json(r)["error"]["code"].is_string());
    }
    BOOST_TEST(epayco_webhook::handle(make_request("POST", "/api/webhook/epayco", "x_ref_payco=%zz",
                                                   {{"content-type", "application/x-www-form-urlencoded"}})).status == 400);
    BOOST_TEST(epayco_webhook::handle(make_request("POST", "/api/webhook/epayco", "{}", {{"content-type", "application/json"}})).status == 415);
    BOOST_TEST(record_state(rec.id) == "pending");
    BOOST_TEST(db().exec("SELECT count(*) FROM payment_confirmations WHERE provider_ref LIKE $1", {ref + "%"}).get_int(0, 0) == 0);
}

BOOST_AUTO_TEST_CASE(wrong_amount_or_currency_is_flagged_never_activated) {
    Buyer b = buyer();
    for (auto [amount, currency] : {std::pair<std::string, std::string>{"9.99", ""}, {"", "COP"}}) {
        Record rec = pending_record(b);
        std::string ref = new_ref();
        auto f = confirmation(rec, 1, ref, amount, currency);
        epayco_holds(ref, f);
        BOOST_TEST(deliver(f).status == 200);
        BOOST_TEST(record_state(rec.id) == "pending");
        BOOST_TEST(db().exec("SELECT flag_reason FROM payment_records WHERE id = $1", {rec.id}).get(0, 0).find("mismatch") != std::string::npos);
    }
    BOOST_TEST(active_subscriptions(b.id) == 0);
    // Amounts compare as decimals; currencies case-insensitively.
    Record rec = pending_record(b);
    std::string ref = new_ref();
    auto f = confirmation(rec, 1, ref, "10.000", "usd");
    epayco_holds(ref, f);
    BOOST_TEST(deliver(f).status == 200);
    BOOST_TEST(record_state(rec.id) == "approved");
}

BOOST_AUTO_TEST_CASE(unknown_invoice_and_disagreeing_extras) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    Record ghost = rec;
    ghost.id = 999999999;
    std::string ref = new_ref();
    BOOST_TEST(deliver(confirmation(ghost, 3, ref)).status == 200);
    BOOST_TEST(db().exec("SELECT outcome FROM payment_confirmations WHERE provider_ref = $1", {ref}).get(0, 0) == "unmatched");
    Record wrong_user = rec;
    wrong_user.user = rec.user + 1;
    std::string ref2 = new_ref();
    BOOST_TEST(deliver(confirmation(wrong_user, 3, ref2)).status == 200);
    BOOST_TEST(db().exec("SELECT outcome FROM payment_confirmations WHERE provider_ref = $1", {ref2}).get(0, 0) == "extras_mismatch");
    BOOST_TEST(record_state(rec.id) == "pending");
    // Without extras, the invoice (decorated by ePayco) finds the record.
    std::string ref3 = new_ref();
    Pairs f;
    for (auto& kv : confirmation(rec, 3, ref3))
        if (kv.first.rfind("x_extra", 0) != 0) f.push_back(kv);
    for (auto& [k, v] : f)
        if (k == "x_id_invoice") v = "shop_" + v + "-1700000000000";
    BOOST_TEST(deliver(f).status == 200);
    BOOST_TEST(db().exec("SELECT outcome FROM payment_confirmations WHERE provider_ref = $1", {ref3}).get(0, 0) == "applied");
}

BOOST_AUTO_TEST_CASE(every_state_code) {
    const std::map<int, std::string> expected = {{2, "declined"}, {3, "pending"}, {4, "failed"}, {7, "held"}, {8, "started"},
                                                 {9, "expired"}, {10, "abandoned"}, {11, "cancelled"}, {12, "antifraud"}};
    Buyer b = buyer();
    for (auto [code, state] : expected) {
        Record rec = pending_record(b);
        std::string ref = new_ref();
        BOOST_TEST(deliver(confirmation(rec, code, ref)).status == 200);
        BOOST_TEST(record_state(rec.id) == state, code);
    }
    BOOST_TEST(outbox_rows(b.id, "telegram") == 9);  // the user is told each time
    BOOST_TEST(active_subscriptions(b.id) == 0);
    Record rec = pending_record(b);
    std::string ref = new_ref();
    BOOST_TEST(deliver(confirmation(rec, 5, ref)).status == 200);  // unknown: stored, flagged, pending-like
    auto row = db().exec("SELECT state, flag_reason FROM payment_records WHERE id = $1", {rec.id});
    BOOST_TEST(row.get(0, 0) == "pending");
    BOOST_TEST(row.get(0, 1).find("unknown") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(extension_adds_the_plan_duration_and_lifetime_has_no_end) {
    Buyer b = buyer();
    for (int i = 0; i < 2; ++i) {
        Record rec = pending_record(b);
        std::string ref = new_ref();
        auto f = confirmation(rec, 1, ref);
        epayco_holds(ref, f);
        BOOST_TEST(deliver(f).status == 200);
    }
    auto days = db().exec("SELECT round(EXTRACT(EPOCH FROM ends_at - now()) / 86400) FROM subscriptions "
                          "WHERE user_id = $1 AND status = 'active'", {b.id});
    BOOST_TEST(days.get(0, 0) == "60");
    Record life = pending_record(b, "prime-lifetime-usd");
    std::string ref = new_ref();
    epayco_holds(ref, confirmation(life, 1, ref));
    deliver(confirmation(life, 1, ref));
    BOOST_TEST(db().exec("SELECT ends_at IS NULL FROM subscriptions WHERE user_id = $1 AND status = 'active'", {b.id}).get_bool(0, 0));
    Record more = pending_record(b);
    std::string ref2 = new_ref();
    epayco_holds(ref2, confirmation(more, 1, ref2));
    deliver(confirmation(more, 1, ref2));
    BOOST_TEST(db().exec("SELECT ends_at IS NULL FROM subscriptions WHERE user_id = $1 AND status = 'active'", {b.id}).get_bool(0, 0));
}

BOOST_AUTO_TEST_CASE(reversal_after_approval_revokes_and_tells_admins) {
    long long admin = db().exec("INSERT INTO users (telegram_id, first_name, role) VALUES ($1, 'Admin', 'admin') RETURNING id",
                                {6'000'000'000LL + testing::unique_number() % 1000000}).get_int(0, 0);
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    epayco_holds(ref, confirmation(rec, 1, ref));
    deliver(confirmation(rec, 1, ref));
    BOOST_TEST(tier(b.id) == "prime");
    epayco_holds(ref, confirmation(rec, 6, ref));
    BOOST_TEST(deliver(confirmation(rec, 6, ref)).status == 200);
    BOOST_TEST(record_state(rec.id) == "reversed");
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(tier(b.id) == "free");
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "free");
    BOOST_TEST(outbox_rows(admin, "telegram") >= 1);
    // A reversal of a payment that was never approved does nothing.
    Record rec2 = pending_record(b);
    std::string ref2 = new_ref();
    epayco_holds(ref2, confirmation(rec2, 2, ref2));
    deliver(confirmation(rec2, 2, ref2));
    epayco_holds(ref2, confirmation(rec2, 6, ref2));
    deliver(confirmation(rec2, 6, ref2));
    BOOST_TEST(record_state(rec2.id) == "declined");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jobs)

BOOST_AUTO_TEST_CASE(reconciliation_applies_a_confirmation_that_never_arrived) {
    Buyer b = buyer();
    Record rec = pending_record(b);
    std::string ref = new_ref();
    db().transaction([&] {
        // Back-date it past the updated_at trigger, as twenty quiet minutes would.
        db().exec("SET LOCAL session_replication_role = replica");
        db().exec("UPDATE payment_records SET provider_ref = $2, updated_at = now() - interval '20 minutes' WHERE id = $1",
                  {rec.id, ref});
    });
    epayco_holds(ref, confirmation(rec, 1, ref));
    BOOST_TEST(reconcile_pending_payments() >= 1);
    BOOST_TEST(record_state(rec.id) == "approved");
    BOOST_TEST(active_subscriptions(b.id) == 1);
    BOOST_TEST(db().exec("SELECT source FROM payment_confirmations WHERE provider_ref = $1", {ref}).get(0, 0) == "reconciliation");
    // The webhook arriving late is a replay.
    BOOST_TEST(deliver(confirmation(rec, 1, ref)).status == 200);
    BOOST_TEST(outbox_rows(b.id, "telegram") == 1);
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
    BOOST_TEST(expire_subscriptions() >= 1);
    expire_subscriptions();
    BOOST_TEST(active_subscriptions(b.id) == 0);
    BOOST_TEST(tier(b.id) == "free");
    BOOST_TEST(outbox_rows(b.id, "telegram") == 2);
    BOOST_TEST(redis().command({"HGET", "user:" + std::to_string(b.id) + ":authz", "tier"}).str() == "free");
}

BOOST_AUTO_TEST_CASE(delivered_rows_are_pruned_after_retention) {
    Buyer b = buyer();
    db().exec("INSERT INTO outbox (kind, user_id, payload, delivered_at) VALUES ('telegram', $1, '{}', now() - interval '31 days')", {b.id});
    db().exec("INSERT INTO outbox (kind, user_id, payload, delivered_at) VALUES ('telegram', $1, '{}', now() - interval '1 day')", {b.id});
    BOOST_TEST(prune_delivered_outbox() >= 1);
    BOOST_TEST(outbox_rows(b.id, "telegram") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
