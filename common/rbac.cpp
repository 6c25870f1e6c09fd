#include "rbac.hpp"

#include "csrf.hpp"

namespace pnptv {

Identity require_session(const Request& request) {
    require_same_origin(request);
    auto id = identify(request);
    if (!id) throw HttpError(401, "unauthenticated", "Log in to continue.");
    return *id;
}

Identity require_admin(const Request& request) {
    Identity id = require_session(request);
    if (id.role != "admin") throw HttpError(403, "forbidden", "This needs an administrator.");
    return id;
}

Identity require_prime(const Request& request) {
    Identity id = require_session(request);
    if (id.tier != "prime" && id.role != "admin") throw HttpError(403, "prime_required", "This needs a PRIME subscription.");
    return id;
}

}  // namespace pnptv
