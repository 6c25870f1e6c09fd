// config.hpp — settings from the environment, optionally pre-loaded from the file named by
// PNPTV_ENV_FILE (KEY=value lines; the real environment always wins).
//
// Names are the contract in DESIGN.md / env.example. A function lists the settings it cannot
// run without; the runtime refuses to start, naming the first missing one.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pnptv {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads PNPTV_ENV_FILE if set (once). Throws ConfigError if the file can't be read.
void load_config();

// Parses env-file text into KEY=value pairs (comments, blank lines, `export`, quotes handled).
// Throws ConfigError naming the line of anything else.
std::vector<std::pair<std::string, std::string>> parse_env_file(std::string_view text);

std::optional<std::string> setting(std::string_view name);  // unset or empty → nullopt
std::string setting_or(std::string_view name, std::string_view fallback);
long long setting_int(std::string_view name, long long fallback);   // ConfigError when not a number
bool setting_bool(std::string_view name, bool fallback);             // true/false/1/0/yes/no
std::string required_setting(std::string_view name);                 // ConfigError naming it
// A base URL setting without its trailing slashes (required when fallback is empty).
std::string url_setting(std::string_view name, std::string_view fallback = {});
inline std::string public_base_url() { return url_setting("PUBLIC_BASE_URL"); }

// The first of `names` that is not set, if any.
std::optional<std::string> first_missing_setting(const std::vector<std::string>& names);

}  // namespace pnptv
