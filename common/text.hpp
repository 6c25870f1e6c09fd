// text.hpp — the few string operations the standard library lacks (ASCII only, by design:
// they are used on header names, tokens and settings, never on user prose).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pnptv {

std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::vector<std::string_view> split(std::string_view s, char sep);
bool is_valid_utf8(std::string_view s);
// The number of code points of valid UTF-8 text (what a person counts as characters).
size_t code_points(std::string_view utf8);
// Whether valid UTF-8 text holds a character that is not for people to type: controls
// (U+0000–U+001F, U+007F–U+009F; with `prose`, line feeds and tabs are allowed), bidi
// embeddings, overrides, isolates and marks (right-to-left spoofing), invisible format characters
// (zero-width space, word joiner, BOM, soft hyphen) and line/paragraph separators. Zero-width
// (non-)joiners stay: emoji and several scripts need them.
bool has_control_chars(std::string_view utf8, bool prose);
// Valid UTF-8 text without Unicode white space (ASCII, no-break, ideographic, the U+2000 spaces …)
// at either end.
std::string_view trim_unicode(std::string_view utf8);

// Every character of s is one of `allowed` (plus ASCII letters/digits when alnum is true).
bool only_chars(std::string_view s, std::string_view allowed, bool alnum = false);
bool is_ascii_alnum(char c);
// "123" or "123.45": digits, then optionally a point and 1–max_fraction digits.
bool is_decimal(std::string_view s, size_t max_integer_digits = 10, size_t max_fraction_digits = 6);
// A non-negative whole number written plainly (digits only, at most 18: it fits a bigint);
// nullopt for anything else — the one way ids, times and counts from outside are read.
std::optional<long long> parse_id(std::string_view s);
std::string html_escape(std::string_view s);

}  // namespace pnptv
