// payment — PRIME plans, starting an ePayco checkout (from the web or the bot's signed link),
// and the state of one's own payments.
#pragma once

#include "http.hpp"
#include "runtime.hpp"

namespace payment {

pnptv::Response handle(const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace payment
