#include "text.hpp"

#include <charconv>

namespace pnptv {

static char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = lower_ascii(c);
    return out;
}

std::string_view trim(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
    return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (;;) {
        size_t at = s.find(sep, start);
        parts.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) break;
        start = at + 1;
    }
    return parts;
}

bool is_ascii_alnum(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool only_chars(std::string_view s, std::string_view allowed, bool alnum) {
    for (char c : s)
        if (!(alnum && is_ascii_alnum(c)) && allowed.find(c) == std::string_view::npos) return false;
    return true;
}

bool is_decimal(std::string_view s, size_t max_integer_digits, size_t max_fraction_digits) {
    size_t dot = s.find('.');
    std::string_view whole = s.substr(0, dot);
    if (whole.empty() || whole.size() > max_integer_digits || !only_chars(whole, "0123456789")) return false;
    if (dot == std::string_view::npos) return true;
    std::string_view fraction = s.substr(dot + 1);
    return !fraction.empty() && fraction.size() <= max_fraction_digits && only_chars(fraction, "0123456789");
}

std::optional<long long> parse_id(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    long long value = 0;
    auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (error != std::errc() || end != s.data() + s.size() || s.front() == '-' || s.front() == '+') return std::nullopt;
    return value;
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out.push_back(c);
        }
    }
    return out;
}

bool is_valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len;
        char32_t cp;
        if (c < 0x80) { ++i; continue; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        else return false;
        if (i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += len;
    }
    return true;
}

size_t code_points(std::string_view utf8) {
    size_t n = 0;
    for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

namespace {
// The code point at utf8[i] (valid UTF-8) and its length.
char32_t code_point_at(std::string_view s, size_t i, size_t& length) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (b(0) < 0x80) return length = 1, b(0);
    if ((b(0) & 0xE0) == 0xC0) return length = 2, char32_t((b(0) & 0x1F) << 6 | (b(1) & 0x3F));
    if ((b(0) & 0xF0) == 0xE0) return length = 3, char32_t((b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F));
    return length = 4, char32_t((b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F));
}

bool is_unicode_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}
}  // namespace

bool has_control_chars(std::string_view utf8, bool prose) {
    for (size_t i = 0, n = 0; i < utf8.size(); i += n) {
        const char32_t c = code_point_at(utf8, i, n);
        if (c < 0x20 && !(prose && (c == '\n' || c == '\t'))) return true;
        if ((c >= 0x7F && c <= 0x9F) || c == 0xAD || c == 0x061C || c == 0x200B || c == 0x200E || c == 0x200F ||
            (c >= 0x2028 && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) || (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF)
            return true;
    }
    return false;
}

std::string_view trim_unicode(std::string_view utf8) {
    size_t n = 0;
    while (!utf8.empty() && is_unicode_space(code_point_at(utf8, 0, n))) utf8.remove_prefix(n);
    while (!utf8.empty()) {
        size_t start = utf8.size() - 1;
        while (start > 0 && (static_cast<unsigned char>(utf8[start]) & 0xC0) == 0x80) --start;
        if (!is_unicode_space(code_point_at(utf8, start, n))) break;
        utf8.remove_suffix(utf8.size() - start);
    }
    return utf8;
}

}  // namespace pnptv
