// text.hpp — the few string operations the standard library lacks (ASCII only, by design:
// they are used on header names, tokens and settings, never on user prose).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pnptv {

std::string to_lower(std::string_view s);
std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::vector<std::string_view> split(std::string_view s, char sep);
bool is_valid_utf8(std::string_view s);

}  // namespace pnptv
