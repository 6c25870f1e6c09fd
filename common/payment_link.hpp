// payment_link.hpp — the short-lived signed checkout link the bot's plan buttons send:
// /api/payment/checkout?u=<user id>&p=<plan id>&exp=<unix time>&sig=<hex HMAC-SHA256>
// over "u|p|exp" with PAYMENT_LINK_SECRET. The user has no web session inside Telegram, so the
// signature is what proves the link was made for them, for that plan, until then.
#pragma once

#include <string>
#include <string_view>

namespace pnptv {

// How long a link is valid; a checkout opened again within it reuses the same open record.
inline constexpr long long payment_link_minutes = 30;

std::string payment_link_signature(long long user_id, std::string_view plan_id, long long expires);
std::string payment_link(long long user_id, std::string_view plan_id, long long expires);  // absolute URL
bool payment_link_valid(long long user_id, std::string_view plan_id, long long expires, std::string_view signature);

}  // namespace pnptv
