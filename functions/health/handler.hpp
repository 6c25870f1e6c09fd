// health — is this host able to serve: PostgreSQL and Redis both answering.
#pragma once

#include "http.hpp"
#include "runtime.hpp"

namespace health {

pnptv::Response handle(const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace health
