#include "handler.hpp"

#include "epayco.hpp"
#include "log.hpp"
#include "payment_references.hpp"
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

// A signed claim only names a reference: it is stored once and answered at once; the verifier
// asks ePayco what that reference is and applies its answer. The reply says "received" and
// nothing else, whatever the claim said, so a caller learns nothing by probing.
Response confirm(const Settings& s, const Request& request, const PathParams&) {
    const EpaycoClaim claim = parse_epayco_claim(confirmation_fields(request));
    // The merchant id and key come from configuration only, never from the request.
    if (!epayco_claim_authentic(claim, s.merchant)) {
        log_event(LogLevel::warn, "epayco_bad_signature", {{"ref_payco", claim.ref}, {"remote", request.remote_addr}});
        throw HttpError(400, "invalid_signature", "The confirmation's signature or merchant does not match.", "x_signature");
    }
    store_claim(claim, s.recheck_seconds);
    return Response::json(200, {{"received", true}});
}

// When ePayco confirms by GET its signed fields are in the URL: nothing of it is logged.
const Router<Settings> routes({
    {"POST", std::string(confirmation_path), confirm, body(max_confirmation_bytes)},
    {"GET", std::string(confirmation_path), confirm, body(0).capability_urls()},
});

}  // namespace

Settings Settings::read(SettingsReader& r) {
    return {DatabaseSettings::read(r), EpaycoMerchant::read(r), read_recheck_seconds(r)};
}

Response handle(const Settings& settings, const Request& request) { return routes.dispatch(settings, request); }

const Function& function() {
    static const Function f = make_function("epayco-webhook", routes);
    return f;
}

}  // namespace epayco_webhook
