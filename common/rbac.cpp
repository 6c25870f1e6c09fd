#include "rbac.hpp"

#include "csrf.hpp"

namespace pnptv {

WebSettings WebSettings::read(SettingsReader& r) { return {SessionSettings::read(r), read_public_base_url(r)}; }

Identity require_session(const WebSettings& web, const Request& request) {
    require_same_origin(request, web.public_base_url, web.session.cookie_secure);
    auto id = identify(web.session, request);
    if (!id) throw HttpError(401, "unauthenticated", "Log in to continue.");
    return *id;
}

Identity require_admin(const WebSettings& web, const Request& request) {
    Identity id = require_session(web, request);
    if (id.role != "admin") throw HttpError(403, "forbidden", "This needs an administrator.");
    return id;
}

Identity require_prime(const WebSettings& web, const Request& request) {
    Identity id = require_session(web, request);
    if (id.tier != "prime" && id.role != "admin") throw HttpError(403, "prime_required", "This needs a PRIME subscription.");
    return id;
}

}  // namespace pnptv
