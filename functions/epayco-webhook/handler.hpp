// epayco-webhook — ePayco's server-to-server confirmations: each paid subscription activated
// exactly once, under retries, races and outages.
#pragma once

#include "http.hpp"
#include "runtime.hpp"

namespace epayco_webhook {

pnptv::Response handle(const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace epayco_webhook
