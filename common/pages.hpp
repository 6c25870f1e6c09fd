// pages.hpp — the paths of the static pages (nginx/public) that code links to or redirects to,
// written once. Which of them nginx guards is auth-verify's policy (functions/auth-verify).
#pragma once

#include <string_view>

namespace pnptv::pages {

inline constexpr std::string_view login = "/auth/";
inline constexpr std::string_view hub = "/hub/";
inline constexpr std::string_view media = "/media/";
inline constexpr std::string_view videorama = "/media/videorama/";
inline constexpr std::string_view live = "/media/live/";
inline constexpr std::string_view hangouts = "/hangouts/";
inline constexpr std::string_view portal = "/portal/";
inline constexpr std::string_view pay = "/pay/";  // the bot's checkout links land here (not guarded)

}  // namespace pnptv::pages
