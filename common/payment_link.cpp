#include "payment_link.hpp"

#include "config.hpp"
#include "crypto.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace pnptv {

std::string payment_link_signature(long long user_id, std::string_view plan_id, long long expires) {
    std::string message = std::to_string(user_id) + "|" + std::string(plan_id) + "|" + std::to_string(expires);
    return to_hex(hmac_sha256(required_setting("PAYMENT_LINK_SECRET"), message));
}

std::string payment_link(long long user_id, std::string_view plan_id, long long expires) {
    return public_base_url() + "/api/payment/checkout?u=" + std::to_string(user_id) + "&p=" + percent_encode(plan_id) +
           "&exp=" + std::to_string(expires) + "&sig=" + payment_link_signature(user_id, plan_id, expires);
}

bool payment_link_valid(long long user_id, std::string_view plan_id, long long expires, std::string_view signature) {
    return constant_time_equal(payment_link_signature(user_id, plan_id, expires), to_lower(signature));
}

}  // namespace pnptv
