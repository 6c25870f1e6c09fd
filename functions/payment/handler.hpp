// payment — PRIME plans, starting an ePayco checkout (from the web or the bot's signed link),
// and the state of one's own payments.
#pragma once

#include "epayco.hpp"
#include "http.hpp"
#include "payment_link.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace payment {

inline constexpr std::string_view plans_path = "/api/payment/plans";
inline constexpr std::string_view create_subscription_path = "/api/payment/create-subscription";
inline constexpr std::string_view status_path = "/api/payment/status/";  // + invoice
inline constexpr std::string_view donations_path = "/api/payment/donations";  // POST a tip; GET the amounts
// The bot's signed link: pnptv::checkout_link_path (payment_link.hpp).

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::PaymentLinkSettings link;
    pnptv::EpaycoCheckoutSettings checkout;
    int recheck_seconds;  // EPAYCO_RECHECK_SECONDS: a candidate reference is asked about no sooner after its last check
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace payment
