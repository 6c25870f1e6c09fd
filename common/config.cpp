#include "config.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "text.hpp"

namespace pnptv {

std::vector<std::pair<std::string, std::string>> parse_env_file(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    int line_no = 0;
    for (std::string_view line : split(text, '\n')) {
        ++line_no;
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        if (line.substr(0, 7) == "export ") line = trim(line.substr(7));
        size_t eq = line.find('=');
        std::string_view key = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
        bool key_ok = !key.empty() && eq != std::string_view::npos;
        for (char c : key)
            key_ok = key_ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
        if (!key_ok) throw ConfigError("env file line " + std::to_string(line_no) + " is not KEY=value");
        std::string_view value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        out.emplace_back(std::string(key), std::string(value));
    }
    return out;
}

void load_config() {
    static bool loaded = false;
    if (loaded) return;
    loaded = true;
    const char* path = std::getenv("PNPTV_ENV_FILE");
    if (!path || !*path) return;
    std::ifstream in(path);
    if (!in) throw ConfigError(std::string("PNPTV_ENV_FILE names a file that can't be read: ") + path);
    std::stringstream buf;
    buf << in.rdbuf();
    // Within the file the last line for a key wins (later layers override); the environment wins over both.
    std::map<std::string, std::string> values;
    for (auto& [k, v] : parse_env_file(buf.str())) values[k] = std::move(v);
    for (const auto& [k, v] : values) setenv(k.c_str(), v.c_str(), /*overwrite=*/0);
}

std::optional<std::string> setting(std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

std::string setting_or(std::string_view name, std::string_view fallback) {
    auto v = setting(name);
    return v ? *v : std::string(fallback);
}

long long setting_int(std::string_view name, long long fallback) {
    auto v = setting(name);
    if (!v) return fallback;
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v->c_str(), &end, 10);
    if (errno || end == v->c_str() || *end) throw ConfigError(std::string(name) + " must be a whole number");
    return n;
}

bool setting_bool(std::string_view name, bool fallback) {
    auto v = setting(name);
    if (!v) return fallback;
    std::string l = to_lower(*v);
    if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
    if (l == "false" || l == "0" || l == "no" || l == "off") return false;
    throw ConfigError(std::string(name) + " must be true or false");
}

std::string required_setting(std::string_view name) {
    auto v = setting(name);
    if (!v) throw ConfigError("missing required setting " + std::string(name));
    return *v;
}

std::string url_setting(std::string_view name, std::string_view fallback) {
    std::string url = fallback.empty() ? required_setting(name) : setting_or(name, fallback);
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

std::optional<std::string> first_missing_setting(const std::vector<std::string>& names) {
    for (const auto& n : names)
        if (!setting(n)) return n;
    return std::nullopt;
}

}  // namespace pnptv
