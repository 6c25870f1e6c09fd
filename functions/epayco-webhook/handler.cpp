#include "handler.hpp"

#include "config.hpp"
#include "crypto.hpp"
#include "epayco.hpp"
#include "log.hpp"
#include "payments.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace epayco_webhook {

using namespace pnptv;

namespace {

constexpr size_t max_confirmation_bytes = 32 * 1024;

// POST form (the usual) or GET query (when the merchant configured GET): the same fields.
Pairs confirmation_fields(const Request& request) {
    if (request.method != "POST") return request.query;
    if (request.media_type() != "application/x-www-form-urlencoded")
        throw HttpError(415, "unsupported_media_type", "Send the confirmation as application/x-www-form-urlencoded.");
    auto fields = parse_urlencoded(request.body, 128);
    if (!fields) throw HttpError(400, "malformed_form", "The form body is malformed.");
    return *fields;
}

std::string required_field(const Pairs& fields, const char* name, size_t max = 64) {
    auto v = find_value(fields, name);
    if (!v || v->empty()) throw HttpError(400, "missing_field", std::string(name) + " is required.", name);
    if (v->size() > max || !is_valid_utf8(*v)) throw HttpError(400, "invalid_field", std::string(name) + " is malformed.", name);
    return *v;
}

Response confirm(const Request& request, const PathParams&) {
    const Pairs fields = confirmation_fields(request);
    const std::string ref = required_field(fields, "x_ref_payco");
    const std::string transaction_id = required_field(fields, "x_transaction_id", 128);
    const std::string amount = required_field(fields, "x_amount", 32);
    const std::string currency = required_field(fields, "x_currency_code", 8);
    const std::string signature = required_field(fields, "x_signature", 128);
    const std::string merchant = required_field(fields, "x_cust_id_cliente");

    // The merchant id and key come from configuration only, never from the request.
    const std::string cust_id = required_setting("EPAYCO_CUST_ID");
    const std::string expected = epayco_signature(cust_id, required_setting("EPAYCO_P_KEY"), ref, transaction_id, amount, currency);
    if (!constant_time_equal(expected, to_lower(signature)) || !constant_time_equal(merchant, cust_id)) {
        log_event(LogLevel::warn, "epayco_bad_signature", {{"ref_payco", ref}, {"remote", request.remote_addr}});
        throw HttpError(400, "invalid_signature", "The confirmation's signature or merchant does not match.", "x_signature");
    }
    if (!is_decimal(amount)) throw HttpError(400, "invalid_field", "x_amount is not a decimal amount.", "x_amount");
    if (currency.size() != 3 || !only_chars(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
        throw HttpError(400, "invalid_field", "x_currency_code is not a currency code.", "x_currency_code");
    auto code = confirmation_state_code(fields);
    if (!code) throw HttpError(400, "missing_field", "x_cod_transaction_state is required.", "x_cod_transaction_state");

    // The signature covers neither the state nor the extras, and its fields can be fetched by
    // anyone who knows the reference: approvals and reversals are confirmed with ePayco first.
    if ((*code == 1 || *code == 6) && setting_bool("EPAYCO_VERIFY_REFERENCE", true)) {
        auto v = epayco_validate_reference(ref);
        if (!v.reachable) throw HttpError(503, "epayco_unavailable", "Could not confirm the payment with ePayco; retry later.");
        // Only the state is compared: ePayco may render its fields differently (numbers, decimals),
        // and the amount is checked against our own record when the confirmation is applied.
        if (!v.found || confirmation_state_code(v.fields) != code) {
            log_event(LogLevel::warn, "epayco_state_not_confirmed", {{"ref_payco", ref}, {"claimed_state", *code}});
            // Recorded and answered 200: ePayco's own answer arrives through reconciliation.
            record_unverified_claim(fields, *code);
            return Response::json(200, {{"received", true}, {"outcome", "state_not_confirmed"}});
        }
    }
    auto outcome = apply_confirmation(fields, *code, "webhook");
    return Response::json(200, {{"received", true}, {"outcome", outcome.outcome}});
}

const Router routes({
    {"POST", "/api/webhook/epayco", confirm, max_confirmation_bytes},
    {"GET", "/api/webhook/epayco", confirm, 0},
});

}  // namespace

Response handle(const Request& request) { return routes.dispatch(request); }

const Function& function() {
    static const Function f{"epayco-webhook", routes, {"DATABASE_URL", "REDIS_URL", "EPAYCO_CUST_ID", "EPAYCO_P_KEY"}};
    return f;
}

}  // namespace epayco_webhook
