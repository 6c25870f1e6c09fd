#include "epayco.hpp"

#include "crypto.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

std::string epayco_signature(std::string_view cust_id, std::string_view p_key, std::string_view ref_payco,
                             std::string_view transaction_id, std::string_view amount, std::string_view currency) {
    std::string message;
    for (std::string_view part : {cust_id, p_key, ref_payco, transaction_id, amount, currency}) {
        if (!message.empty()) message.push_back('^');
        message.append(part);
    }
    return to_hex(sha256(message));
}

namespace {

constexpr std::string_view reference_chars = "-_";

std::string required_field(const Pairs& fields, const char* name, size_t max) {
    auto v = find_value(fields, name);
    if (!v || v->empty()) throw HttpError(400, "missing_field", std::string(name) + " is required.", name);
    if (v->size() > max || !is_valid_utf8(*v)) throw HttpError(400, "invalid_field", std::string(name) + " is malformed.", name);
    return *v;
}

}  // namespace

EpaycoClaim parse_epayco_claim(const Pairs& fields) {
    EpaycoClaim c;
    c.ref = required_field(fields, "x_ref_payco", 64);
    c.transaction_id = required_field(fields, "x_transaction_id", 128);
    c.amount = required_field(fields, "x_amount", 32);
    c.currency = required_field(fields, "x_currency_code", 8);
    c.signature = required_field(fields, "x_signature", 128);
    c.merchant = required_field(fields, "x_cust_id_cliente", 64);
    if (!only_chars(c.ref, reference_chars, true))
        throw HttpError(400, "invalid_field", "x_ref_payco is not an ePayco reference.", "x_ref_payco");
    if (!is_decimal(c.amount)) throw HttpError(400, "invalid_field", "x_amount is not a decimal amount.", "x_amount");
    if (c.currency.size() != 3 || !only_chars(c.currency, "", true))
        throw HttpError(400, "invalid_field", "x_currency_code is not a currency code.", "x_currency_code");
    c.fields = fields;
    return c;
}

EpaycoMerchant EpaycoMerchant::read(SettingsReader& r) { return {r.text("EPAYCO_CUST_ID"), r.secret("EPAYCO_P_KEY")}; }

long read_epayco_timeout_ms(SettingsReader& r) { return static_cast<long>(r.integer("EPAYCO_TIMEOUT_MS", 8000, 100, 120000)); }

EpaycoCheckoutSettings EpaycoCheckoutSettings::read(SettingsReader& r) {
    EpaycoCheckoutSettings s;
    s.public_key = r.text("EPAYCO_PUBLIC_KEY");
    s.private_key = r.optional_secret("EPAYCO_PRIVATE_KEY");
    s.apify_base = r.url("EPAYCO_APIFY_BASE", "https://apify.epayco.co");
    s.checkout_base = r.url("EPAYCO_CHECKOUT_BASE", "https://checkout.epayco.co");
    s.test = r.flag("EPAYCO_TEST", false);
    s.timeout_ms = read_epayco_timeout_ms(r);
    return s;
}

bool epayco_claim_authentic(const EpaycoClaim& c, const EpaycoMerchant& merchant) {
    const std::string& cust_id = merchant.cust_id;
    const std::string expected = epayco_signature(cust_id, merchant.p_key.reveal(), c.ref, c.transaction_id, c.amount, c.currency);
    // Both comparisons always run: the answer's timing says nothing about which one failed.
    bool signature_ok = constant_time_equal(expected, to_lower(c.signature));
    bool merchant_ok = constant_time_equal(c.merchant, cust_id);
    return signature_ok && merchant_ok;
}

Json epayco_audit_payload(const Pairs& fields) {
    Json raw = Json::object();
    for (const auto& [k, v] : fields)
        if (k != "x_customer_email" && k != "x_customer_name") raw[k] = v;
    return raw;
}

std::optional<int> epayco_state_code(const Pairs& fields) {
    for (const char* key : {"x_cod_transaction_state", "x_cod_response"}) {
        std::string v = find_value(fields, key).value_or("");
        if (v.empty()) continue;
        if (v.size() > 4 || !only_chars(v, "0123456789")) return std::nullopt;
        return std::stoi(v);
    }
    return std::nullopt;
}

EpaycoTransaction epayco_transaction_from(const Json& data) {
    EpaycoTransaction t;
    if (!data.is_object()) return t;
    // ePayco may render some fields as numbers; they are kept as their text, like a form's.
    for (const auto& [k, val] : data.items()) {
        if (val.is_null() || val.is_object() || val.is_array()) continue;
        t.fields.emplace_back(k, val.is_string() ? val.get<std::string>() : val.dump());
    }
    auto text = [&](const char* k) { return find_value(t.fields, k).value_or(""); };
    t.ref = text("x_ref_payco");
    t.transaction_id = text("x_transaction_id");
    t.invoice = text("x_id_invoice");
    t.amount = text("x_amount");
    t.currency = text("x_currency_code");
    t.customer_email = text("x_customer_email");
    t.extra1 = text("x_extra1");
    t.extra2 = text("x_extra2");
    t.extra3 = text("x_extra3");
    t.state_code = epayco_state_code(t.fields);
    return t;
}

namespace {
constexpr EpaycoState epayco_states[] = {
    {1, "approved", EpaycoOutcome::approved}, {2, "declined", EpaycoOutcome::refused},
    {3, "pending", EpaycoOutcome::open},      {4, "failed", EpaycoOutcome::refused},
    {6, "reversed", EpaycoOutcome::reversed}, {7, "held", EpaycoOutcome::open},
    {8, "started", EpaycoOutcome::open},      {9, "expired", EpaycoOutcome::refused},
    {10, "abandoned", EpaycoOutcome::refused}, {11, "cancelled", EpaycoOutcome::refused},
    {12, "antifraud", EpaycoOutcome::refused},
};
}  // namespace

std::optional<EpaycoState> epayco_state(int code) {
    for (const auto& s : epayco_states)
        if (s.code == code) return s;
    return std::nullopt;
}

std::optional<std::string> epayco_state_name(int code) {
    auto s = epayco_state(code);
    return s ? std::optional<std::string>(s->name) : std::nullopt;
}

bool epayco_state_open(int code) {
    auto s = epayco_state(code);
    return !s || s->outcome == EpaycoOutcome::open;
}

bool record_state_open(std::string_view state) {
    for (const auto& s : epayco_states)
        if (s.name == state) return s.outcome == EpaycoOutcome::open;
    return false;
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

std::string epayco_validation_url(std::string_view api_base, std::string_view ref_payco) {
    return std::string(api_base) + "/validation/v1/reference/" + percent_encode(ref_payco);
}

EpaycoValidation epayco_validation_from(long http_status, const std::string& body) {
    // Only two answers are answers: 200 with {"success":true,"data":{…}} (found), and ePayco
    // saying it doesn't know the reference (404, or 200 with "success": false). Anything else —
    // no answer, 5xx, 429, another 4xx (a proxy, an auth problem), a body that isn't ePayco's
    // JSON — is no answer at all and is asked again later.
    EpaycoValidation out;
    if (http_status == 404) {
        out.reachable = true;
        return out;
    }
    Json answer = Json::parse(body, nullptr, false);
    if (http_status != 200 || !answer.is_object() || !answer.contains("success") || !answer["success"].is_boolean()) return out;
    out.reachable = true;
    if (answer["success"].get<bool>() && answer.contains("data") && answer["data"].is_object()) {
        out.found = true;
        out.transaction = epayco_transaction_from(answer["data"]);
    }
    return out;
}

}  // namespace pnptv
