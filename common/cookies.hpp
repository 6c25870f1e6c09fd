// cookies.hpp — the Cookie request header in, Set-Cookie values out.
//
// Parsing is lenient the way browsers are (a malformed pair is skipped, never an error) but
// bounded: at most 64 cookies, names and values over 4 KiB are dropped. Values are returned as
// sent (not percent-decoded): the code that owns a cookie decides how to decode it. When a name
// appears twice the first wins (browsers send the most specific path first; express does the same).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

Pairs parse_cookie_header(std::string_view header);
// The first value of one cookie, by the same rules, without copying anything.
std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

struct CookieOptions {
    bool secure = true;
    bool http_only = true;
    std::string path = "/";
    std::string same_site = "Lax";
    // CHIPS: kept per top-level site, so a cookie set inside another site's iframe is sent only
    // while that same site embeds us (the Mini App in Telegram's web client), never elsewhere.
    bool partitioned = false;
};

// "name=value; Path=/; Expires=<RFC 1123>; HttpOnly; Secure; SameSite=Lax[; Partitioned]"
std::string build_set_cookie(std::string_view name, std::string_view value,
                             std::chrono::system_clock::time_point expires, const CookieOptions& options);

// RFC 1123 date as cookies and HTTP headers use it: "Wed, 02 Dec 2026 10:00:00 GMT".
std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace pnptv
