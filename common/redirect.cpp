#include "redirect.hpp"

#include "urlencoded.hpp"

namespace pnptv {

namespace {
// `raw`: the target as sent, where even a space means it wasn't encoded properly. Decoded layers
// may hold spaces (a path can), but never control characters: browsers drop tabs and newlines
// inside URLs, which can turn "/\t/evil" into "//evil".
bool looks_local(std::string_view s, bool raw) {
    if (s.size() < 1 || s.size() > 2048 || s[0] != '/') return false;
    if (s.size() > 1 && (s[1] == '/' || s[1] == '\\')) return false;
    for (unsigned char c : s)
        if (c < 0x20 || (raw && c == 0x20) || c == 0x7f || c == '\\') return false;
    return true;
}
}  // namespace

std::string safe_redirect_target(std::string_view candidate, std::string_view fallback) {
    std::string current(candidate);
    // Check the target as given and as every layer of decoding would read it.
    for (int layer = 0; layer < 4; ++layer) {
        if (!looks_local(current, layer == 0)) return std::string(fallback);
        auto decoded = percent_decode(current);
        if (!decoded) return std::string(fallback);
        if (*decoded == current) return std::string(candidate);
        current = std::move(*decoded);
    }
    return std::string(fallback);
}

}  // namespace pnptv
