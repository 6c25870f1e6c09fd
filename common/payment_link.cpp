#include "payment_link.hpp"

#include "crypto.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

PaymentLinkSettings PaymentLinkSettings::read(SettingsReader& r) {
    return {r.secret("PAYMENT_LINK_SECRET"), read_public_base_url(r)};
}

std::string payment_link_signature(const Secret& secret, long long user_id, std::string_view plan_id, long long expires) {
    std::string message = std::to_string(user_id) + "|" + std::string(plan_id) + "|" + std::to_string(expires);
    return to_hex(hmac_sha256(secret.reveal(), message));
}

std::string payment_link(const PaymentLinkSettings& s, long long user_id, std::string_view plan_id, long long expires) {
    return s.public_base_url + std::string(checkout_link_path) + "?u=" + std::to_string(user_id) + "&p=" + percent_encode(plan_id) +
           "&exp=" + std::to_string(expires) + "&sig=" + payment_link_signature(s.secret, user_id, plan_id, expires);
}

bool payment_link_valid(const Secret& secret, long long user_id, std::string_view plan_id, long long expires,
                        std::string_view signature) {
    return constant_time_equal(payment_link_signature(secret, user_id, plan_id, expires), to_lower(signature));
}

}  // namespace pnptv
