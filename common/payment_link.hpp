// payment_link.hpp — the short-lived signed checkout link the bot's plan buttons send:
// /api/payment/checkout?u=<user id>&p=<plan id>&exp=<unix time>&sig=<hex HMAC-SHA256>
// over "u|p|exp" with PAYMENT_LINK_SECRET. The user has no web session inside Telegram, so the
// signature is what proves the link was made for them, for that plan, until then.
#pragma once

#include <string>
#include <string_view>

#include "settings.hpp"

namespace pnptv {

// The path the payment function serves the link on.
inline constexpr std::string_view checkout_link_path = "/api/payment/checkout";
// How long a link is valid; a checkout opened again within it reuses the same open record.
inline constexpr long long payment_link_minutes = 30;

struct PaymentLinkSettings {
    Secret secret;                // PAYMENT_LINK_SECRET
    std::string public_base_url;  // PUBLIC_BASE_URL
    static PaymentLinkSettings read(SettingsReader& r);
};

std::string payment_link_signature(const Secret& secret, long long user_id, std::string_view plan_id, long long expires);
// The absolute URL.
std::string payment_link(const PaymentLinkSettings& s, long long user_id, std::string_view plan_id, long long expires);
bool payment_link_valid(const Secret& secret, long long user_id, std::string_view plan_id, long long expires,
                        std::string_view signature);

}  // namespace pnptv
