// auth-verify — the nginx auth_request guard of /hub/ /media/ /hangouts/ /portal/: 200 with
// X-User-* headers for a valid session of a user who isn't banned, 401 otherwise.
#pragma once

#include "http.hpp"
#include "runtime.hpp"

namespace auth_verify {

pnptv::Response handle(const pnptv::Request& request);
// The auth_request subrequest's fast path (runtime.hpp FastPath), exposed for tests.
std::optional<std::string> handle_subrequest(char** params);
const pnptv::Function& function();

}  // namespace auth_verify
