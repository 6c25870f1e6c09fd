// redirect.hpp — where we may send a browser after login: same-site paths only.
//
// A target must start with exactly one '/', and neither it nor any percent-decoding of it may
// start with "//" or "/\", hold a backslash, a control character or whitespace — the tricks that
// turn a path into another origin (`//evil.example`, `/\evil`, `/%2F%2Fevil`, `https://…`).
// Anything else falls back (to /hub/ by default).
#pragma once

#include <string>
#include <string_view>

#include "pages.hpp"

namespace pnptv {

inline constexpr std::string_view default_redirect = pages::hub;

std::string safe_redirect_target(std::string_view candidate, std::string_view fallback = default_redirect);

}  // namespace pnptv
