// csrf.hpp — a browser on another site riding someone's cookie is refused.
//
// Every state-changing request (not GET, HEAD or OPTIONS) that a session cookie authenticates,
// and every login, passes through require_same_origin. A browser says where a request comes
// from: `Origin` (sent on every cross-origin request and on same-origin POSTs), else
// `Sec-Fetch-Site`. The request is refused (403 cross_site_request) when either says another
// site: an Origin other than PUBLIC_BASE_URL's (or the Host the browser addressed, over https,
// or http when COOKIE_SECURE is off), `Origin: null`, or Sec-Fetch-Site other than same-origin
// or none. A request with neither header is not a browser riding a cookie (curl, scripts/invoke,
// server-to-server calls, tests) and passes. SameSite=Lax alone leaves top-level POSTs from
// another site's form and same-site subdomains open; this closes them.
#pragma once

#include <string_view>

#include "http.hpp"

namespace pnptv {

// The decision itself.
bool request_from_same_origin(const Request& request, std::string_view public_base_url, bool cookie_secure);
// What the browser says of where the request comes from, whatever its method: for reads that
// a cookie must not open from another site either (a realtime subscription: WebSocket
// connections are not bound by CORS).
bool origin_is_ours(const Request& request, std::string_view public_base_url, bool cookie_secure);

// Throws HttpError 403 "cross_site_request" for a state-changing request from another site.
void require_same_origin(const Request& request, std::string_view public_base_url, bool cookie_secure);

}  // namespace pnptv
