// rbac.hpp — the three questions every guarded handler asks, answered with the right JSON error:
// is there a session (401), is the caller an admin (403), does the caller have PRIME (403).
//
// Identity comes only from the session cookie (one Redis round trip, session.hpp), never from
// X-User-* headers. Redis down → 503, never a grant. A state-changing request from another
// site is refused before the session is even looked at (csrf.hpp).
#pragma once

#include "http.hpp"
#include "session.hpp"
#include "settings.hpp"

namespace pnptv {

// What a handler for browsers needs: the session settings and the site's own address.
struct WebSettings {
    SessionSettings session;
    std::string public_base_url;  // PUBLIC_BASE_URL: links, redirects, the origin CSRF compares with
    static WebSettings read(SettingsReader& r);
};

Identity require_session(const WebSettings& web, const Request& request);
Identity require_admin(const WebSettings& web, const Request& request);
Identity require_prime(const WebSettings& web, const Request& request);  // admins pass too

}  // namespace pnptv
