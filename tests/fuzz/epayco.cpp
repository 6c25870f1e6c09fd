// libFuzzer target for what ePayco sends us (common/epayco, docs/protocols.md §5): the
// confirmation form the webhook parses and authenticates (parse_urlencoded → parse_epayco_claim →
// epayco_claim_authentic, as functions/epayco-webhook does), and the validation answer the
// verifier reads before common/payment_confirmation applies it (epayco_validation_from). What
// payment_confirmation then does needs the database and is tested by tests/payments.cpp.
// The first byte picks the form or the answer (and, for an answer, its HTTP status), and whether
// the form is re-signed with the merchant's key; the rest is the form body or the answer.
// Contracts:
// - a claim is parsed or refused with a 400 naming one of its six required fields; a parsed
//   claim holds exactly the fields received, with a reference of [A-Za-z0-9_-], a decimal amount
//   and a three-letter currency;
// - a claim is authentic exactly when its signature (any case) is SHA-256 of
//   cust_id^p_key^ref^transaction^amount^currency with our merchant and key (a model written
//   here) and it names our merchant; re-signed it is authentic, with another merchant it is not;
// - the audit copy keeps every field but the customer's name and e-mail;
// - a state code is 0..9999 and its table entry agrees with "open"; an invoice token found is a
//   whole "PNP-" + 12 of [A-Z0-9] inside what was sent;
// - a validation answer is reachable only for 404 or a 200 JSON object with a boolean success,
//   found only with success true and a data object, and its transaction reads data's fields.
#include "crypto.hpp"
#include "epayco.hpp"
#include "fuzz.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

using namespace pnptv;

namespace {

const EpaycoMerchant& merchant() {
    static const EpaycoMerchant m{"12345", Secret("testkey123")};
    return m;
}

std::string model_signature(const EpaycoClaim& c, std::string_view cust_id) {
    return to_hex(sha256(std::string(cust_id) + "^" + merchant().p_key.reveal() + "^" + c.ref + "^" + c.transaction_id + "^" + c.amount +
                         "^" + c.currency));
}

void check_state(const std::optional<int>& code) {
    if (!code) return;
    FUZZ_REQUIRE(*code >= 0 && *code <= 9999);
    const auto state = epayco_state(*code);
    FUZZ_REQUIRE(epayco_state_open(*code) == (!state || state->outcome == EpaycoOutcome::open));
    if (state) {
        FUZZ_REQUIRE(state->code == *code && epayco_state_name(*code) == std::string(state->name));
        FUZZ_REQUIRE(record_state_open(state->name) == (state->outcome == EpaycoOutcome::open));
    }
}

void check_invoice(std::string_view sent) {
    const auto token = find_invoice_token(sent);
    if (!token) return;
    FUZZ_REQUIRE(token->size() == 16 && token->rfind("PNP-", 0) == 0 && only_chars(token->substr(4), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"));
    const size_t at = sent.substr(0, 256).find(*token);
    FUZZ_REQUIRE(at != std::string_view::npos);
}

void check_form(std::string_view body, bool resign) {
    auto fields = parse_urlencoded(body, 128);  // the webhook answers 400 malformed_form otherwise
    if (!fields) return;
    const auto audit = epayco_audit_payload(*fields);
    FUZZ_REQUIRE(!audit.contains("x_customer_email") && !audit.contains("x_customer_name"));
    for (const auto& [k, v] : *fields)
        if (k != "x_customer_email" && k != "x_customer_name") FUZZ_REQUIRE(audit.contains(k));
    check_state(epayco_state_code(*fields));
    check_invoice(find_value(*fields, "x_id_invoice").value_or(""));

    EpaycoClaim claim;
    try {
        claim = parse_epayco_claim(*fields);
    } catch (const HttpError& e) {
        FUZZ_REQUIRE(e.status == 400);
        bool named = false;
        for (const char* f : {"x_ref_payco", "x_transaction_id", "x_amount", "x_currency_code", "x_signature", "x_cust_id_cliente"})
            named = named || e.field == f;
        FUZZ_REQUIRE(named);
        return;
    }
    FUZZ_REQUIRE(claim.fields == *fields);
    FUZZ_REQUIRE(claim.ref == *find_value(*fields, "x_ref_payco") && claim.amount == *find_value(*fields, "x_amount"));
    FUZZ_REQUIRE(!claim.ref.empty() && claim.ref.size() <= 64 && only_chars(claim.ref, "-_", true));
    FUZZ_REQUIRE(is_decimal(claim.amount));
    FUZZ_REQUIRE(claim.currency.size() == 3 && only_chars(claim.currency, "", true));
    FUZZ_REQUIRE(!claim.signature.empty() && !claim.merchant.empty() && !claim.transaction_id.empty());

    const bool authentic = epayco_claim_authentic(claim, merchant());
    FUZZ_REQUIRE(authentic == (to_lower(claim.signature) == model_signature(claim, "12345") && claim.merchant == "12345"));
    FUZZ_REQUIRE(epayco_signature("12345", "testkey123", claim.ref, claim.transaction_id, claim.amount, claim.currency) ==
                 model_signature(claim, "12345"));
    if (!resign) return;
    EpaycoClaim ours = claim;
    ours.merchant = "12345";
    ours.signature = model_signature(claim, "12345");
    FUZZ_REQUIRE(epayco_claim_authentic(ours, merchant()));
    for (char& c : ours.signature) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
    FUZZ_REQUIRE(epayco_claim_authentic(ours, merchant()));  // any case
    EpaycoClaim elsewhere = ours;
    elsewhere.merchant = "123456";
    FUZZ_REQUIRE(!epayco_claim_authentic(elsewhere, merchant()));  // signed by us, another merchant named
    elsewhere = ours;
    elsewhere.amount += "0";
    FUZZ_REQUIRE(!epayco_claim_authentic(elsewhere, merchant()));  // "14.990" is another amount to the signature
}

void check_answer(long status, const std::string& body) {
    const EpaycoValidation v = epayco_validation_from(status, body);
    const Json answer = Json::parse(body, nullptr, false);
    const bool shaped = answer.is_object() && answer.contains("success") && answer["success"].is_boolean();
    FUZZ_REQUIRE(v.reachable == (status == 404 || (status == 200 && shaped)));
    const bool found = status == 200 && shaped && answer["success"].get<bool>() && answer.contains("data") && answer["data"].is_object();
    FUZZ_REQUIRE(v.found == found);
    if (!found) return;
    const EpaycoTransaction& t = v.transaction;
    const Json& data = answer["data"];
    for (const auto& [k, val] : t.fields) {
        FUZZ_REQUIRE(data.contains(k));
        FUZZ_REQUIRE(!val.empty() || data[k] == "");
    }
    FUZZ_REQUIRE(t.ref == find_value(t.fields, "x_ref_payco").value_or(""));
    FUZZ_REQUIRE(t.extra3 == find_value(t.fields, "x_extra3").value_or(""));
    if (data.contains("x_ref_payco") && data["x_ref_payco"].is_string()) FUZZ_REQUIRE(t.ref == data["x_ref_payco"].get<std::string>());
    FUZZ_REQUIRE(t.state_code == epayco_state_code(t.fields));
    check_state(t.state_code);
    check_invoice(t.invoice);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in(data, size);
    const uint8_t mode = in.byte();
    const std::string_view text = in.rest();
    if ((mode & 1) == 0) {
        check_form(text, mode & 2);
    } else {
        static const long statuses[] = {200, 200, 200, 404, 500, 429, 0, 403};
        check_answer(statuses[(mode >> 1) % 8], std::string(text));
    }
    return 0;
}
