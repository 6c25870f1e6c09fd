// epayco.hpp — ePayco's wire formats (docs/protocols.md §5): the confirmation a webhook
// receives (a *claim*), the validation answer that decides what a reference really is, the state
// codes, and Checkout v2 sessions.
//
// Parse at the edge: a confirmation form becomes an EpaycoClaim (or a 400 naming the field) and
// ePayco's validation answer an EpaycoTransaction; nothing after that looks up x_ fields by name.
// The signature covers only reference, transaction id, amount and currency, and anyone who knows
// a reference can fetch its signed fields, so a claim is never acted on: it only names a
// reference for the verifier (payment_references.hpp) to ask ePayco about.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"
#include "settings.hpp"

namespace pnptv {

// The merchant's identity: from configuration only, never from a request.
struct EpaycoMerchant {
    std::string cust_id;  // EPAYCO_CUST_ID
    Secret p_key;         // EPAYCO_P_KEY
    static EpaycoMerchant read(SettingsReader& r);
};

// EPAYCO_TIMEOUT_MS: the limit on any one request to ePayco (checkout sessions, validation).
long read_epayco_timeout_ms(SettingsReader& r);

// Starting a checkout: classic (public key) or Checkout v2 sessions (with the private key).
struct EpaycoCheckoutSettings {
    std::string public_key;               // EPAYCO_PUBLIC_KEY
    std::optional<Secret> private_key;    // EPAYCO_PRIVATE_KEY: when set, server-created v2 sessions
    std::string apify_base;               // EPAYCO_APIFY_BASE
    std::string checkout_base;            // EPAYCO_CHECKOUT_BASE: where the pages load checkout.js from
    bool test = false;                    // EPAYCO_TEST
    long timeout_ms = 8000;               // EPAYCO_TIMEOUT_MS
    static EpaycoCheckoutSettings read(SettingsReader& r);
};

// hex(SHA-256(cust_id ^ p_key ^ ref_payco ^ transaction_id ^ amount ^ currency)), fields as received.
std::string epayco_signature(std::string_view cust_id, std::string_view p_key, std::string_view ref_payco,
                             std::string_view transaction_id, std::string_view amount, std::string_view currency);

// What a confirmation request says, checked for shape. Its unsigned fields (state, extras,
// invoice) are kept only inside `fields`, for the audit payload.
struct EpaycoClaim {
    std::string ref, transaction_id, amount, currency, signature, merchant;
    Pairs fields;  // everything received
};
// Throws HttpError 400 naming the first missing or malformed field.
EpaycoClaim parse_epayco_claim(const Pairs& fields);
// Signature and merchant both match the configured merchant (constant time).
bool epayco_claim_authentic(const EpaycoClaim& claim, const EpaycoMerchant& merchant);

// The accounting copy of what was received: every field but the customer's name and e-mail.
Json epayco_audit_payload(const Pairs& fields);

// A reference as ePayco's validation endpoint describes it: the only source of a state, an
// amount and the extras that name our record.
struct EpaycoTransaction {
    std::string ref, transaction_id, invoice, amount, currency, customer_email;
    std::optional<int> state_code;            // x_cod_transaction_state, else x_cod_response
    std::string extra1, extra2, extra3;       // our user id, plan id and payment record id
    Pairs fields;                             // the answer as text, for the confirmations log
};
// From the answer's `data` object (ePayco may render some fields as numbers).
EpaycoTransaction epayco_transaction_from(const Json& data);

// The state code of a set of fields: x_cod_transaction_state, else x_cod_response.
std::optional<int> epayco_state_code(const Pairs& fields);

// What an ePayco state code means for a payment: the one table of them (docs/protocols.md §3).
enum class EpaycoOutcome {
    approved,  // 1
    reversed,  // 6: an approval taken back
    open,      // 3 pending, 7 held, 8 started (and codes we don't know): it may still go anywhere
    refused,   // 2 declined, 4 failed, 9 expired, 10 abandoned, 11 cancelled, 12 antifraud
};
struct EpaycoState {
    int code;
    const char* name;  // ours, also the payment_records.state it leads to
    EpaycoOutcome outcome;
};
// The state of a code; nullopt for a code we don't know.
std::optional<EpaycoState> epayco_state(int code);
std::optional<std::string> epayco_state_name(int code);
// Open codes, and codes we don't know: the payment may still go anywhere.
bool epayco_state_open(int code);
// Whether a payment record in this state (our name) is still waiting for its outcome.
bool record_state_open(std::string_view state);

// Our invoice inside ePayco's (possibly decorated) x_id_invoice, as a whole token only.
std::optional<std::string> find_invoice_token(std::string_view decorated);

// GET <EPAYCO_API_BASE>/validation/v1/reference/<ref>, and how to read its answer.
std::string epayco_validation_url(std::string_view api_base, std::string_view ref_payco);
struct EpaycoValidation {
    bool reachable = false;  // false: ask again later (no answer, 5xx, 429, any other refusal)
    bool found = false;
    EpaycoTransaction transaction;
};
EpaycoValidation epayco_validation_from(long http_status, const std::string& body);

// Checkout v2: a server-created session (the amount can't be changed in the browser).
// nullopt when ePayco can't be reached or refuses.
std::optional<std::string> epayco_create_checkout_session(const EpaycoCheckoutSettings& s, const Json& session_fields);

}  // namespace pnptv
