// epayco-webhook — ePayco's server-to-server confirmations: each one stored as a claim on its
// reference, for payment-worker to decide by ePayco's own answer.
#pragma once

#include "epayco.hpp"
#include "http.hpp"
#include "pg.hpp"
#include "runtime.hpp"

namespace epayco_webhook {

// The confirmation URL given to ePayco with every checkout.
inline constexpr std::string_view confirmation_path = "/api/webhook/epayco";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::EpaycoMerchant merchant;
    int recheck_seconds;  // EPAYCO_RECHECK_SECONDS
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace epayco_webhook
