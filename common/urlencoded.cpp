#include "urlencoded.hpp"

#include "text.hpp"

namespace pnptv {

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    const std::string_view specials = plus_is_space ? "%+" : "%";
    for (size_t i = 0; i < s.size();) {
        // Copy the plain run up to the next escape in one go.
        size_t next = s.find_first_of(specials, i);
        if (next == std::string_view::npos) next = s.size();
        out.append(s.substr(i, next - i));
        if (next == s.size()) break;
        if (s[next] == '+') {
            out.push_back(' ');
            i = next + 1;
            continue;
        }
        if (next + 2 >= s.size()) return std::nullopt;
        int hi = hex_value(s[next + 1]), lo = hex_value(s[next + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i = next + 3;
    }
    return out;
}

std::string percent_encode(std::string_view s) {
    static const char* digits = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size() * 3);
    for (unsigned char c : s) {
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
            c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

std::optional<Pairs> parse_urlencoded(std::string_view s, size_t max_pairs) {
    Pairs pairs;
    for (std::string_view part : split(s, '&')) {
        if (part.empty()) continue;
        if (pairs.size() == max_pairs) return std::nullopt;
        size_t eq = part.find('=');
        auto key = percent_decode(part.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        if (!key || !value) return std::nullopt;
        pairs.emplace_back(std::move(*key), std::move(*value));
    }
    return pairs;
}

}  // namespace pnptv
