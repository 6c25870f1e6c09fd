#include "settings.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "text.hpp"

extern char** environ;

namespace pnptv {

Pairs parse_env_file(std::string_view text) {
    Pairs out;
    int line_no = 0;
    for (std::string_view line : split(text, '\n')) {
        ++line_no;
        line = trim(line);
        if (line.empty() || line.front() == '#') continue;
        if (line.substr(0, 7) == "export ") line = trim(line.substr(7));
        size_t eq = line.find('=');
        std::string_view key = eq == std::string_view::npos ? line : trim(line.substr(0, eq));
        if (key.empty() || eq == std::string_view::npos || !only_chars(key, "_", true))
            throw ConfigError("env file line " + std::to_string(line_no) + " is not KEY=value");
        std::string_view value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
            value = value.substr(1, value.size() - 2);
        out.emplace_back(std::string(key), std::string(value));
    }
    return out;
}

SettingsReader SettingsReader::from_environment() {
    SettingsReader r;
    // The file first, the environment after: the last value of a name wins.
    if (const char* path = std::getenv("PNPTV_ENV_FILE"); path && *path) {
        std::ifstream in(path);
        if (!in) throw ConfigError(std::string("PNPTV_ENV_FILE names a file that can't be read: ") + path);
        std::stringstream buf;
        buf << in.rdbuf();
        r.values_ = parse_env_file(buf.str());
    }
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv = *e;
        size_t eq = kv.find('=');
        if (eq != std::string_view::npos) r.values_.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
    return r;
}

SettingsReader::SettingsReader(Pairs values) : values_(std::move(values)) {}

SettingsReader SettingsReader::describing() {
    SettingsReader r;
    r.describing_ = true;
    return r;
}

std::optional<std::string> SettingsReader::raw(std::string_view name) const {
    std::optional<std::string> found;
    for (const auto& [k, v] : values_)
        if (k == name) found = v;
    if (found && found->empty()) return std::nullopt;
    return found;
}

void SettingsReader::note(std::string_view name, std::string type, std::string fallback) {
    for (const auto& d : described_)
        if (d.name == name) return;
    described_.push_back({std::string(name), std::move(type), std::move(fallback)});
}

std::string SettingsReader::text(std::string_view name) {
    note(name, "text", "");
    if (describing_) return "x";
    auto v = raw(name);
    if (!v) throw ConfigError("missing required setting " + std::string(name));
    return *v;
}

std::string SettingsReader::text(std::string_view name, std::string_view fallback) {
    note(name, "text", fallback.empty() ? "(empty)" : std::string(fallback));
    return raw(name).value_or(std::string(fallback));
}

std::optional<std::string> SettingsReader::optional_text(std::string_view name) {
    note(name, "text", "(unset)");
    return describing_ ? std::nullopt : raw(name);
}

Secret SettingsReader::secret(std::string_view name) {
    note(name, "secret", "");
    if (describing_) return Secret("x");
    auto v = raw(name);
    if (!v) throw ConfigError("missing required setting " + std::string(name));
    return Secret(*v);
}

std::optional<Secret> SettingsReader::optional_secret(std::string_view name) {
    note(name, "secret", "(unset)");
    if (describing_) return std::nullopt;
    auto v = raw(name);
    if (!v) return std::nullopt;
    return Secret(*v);
}

std::vector<Secret> SettingsReader::secret_list(std::string_view name) {
    note(name, "secrets, comma-separated", "");
    if (describing_) return {Secret("x")};
    auto v = raw(name);
    if (!v) throw ConfigError("missing required setting " + std::string(name));
    std::vector<Secret> out;
    for (auto s : split(*v, ','))
        if (!trim(s).empty()) out.emplace_back(std::string(trim(s)));
    if (out.empty()) throw ConfigError(std::string(name) + " has no value in it");
    return out;
}

namespace {
// scheme://host[:port][/path]: a host of letters, digits, dots and hyphens (or [IPv6]), no
// user info, query, fragment, spaces or control characters. Trailing slashes are dropped.
std::string checked_url(std::string_view name, std::string url) {
    const ConfigError bad(std::string(name) + " must be an http:// or https:// URL (scheme://host[:port][/path])");
    size_t scheme_end = url.rfind("https://", 0) == 0 ? 8 : url.rfind("http://", 0) == 0 ? 7 : 0;
    if (!scheme_end) throw bad;
    for (char c : url)
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F || c == '?' || c == '#' || c == '@' || c == '\\') throw bad;
    std::string_view rest = std::string_view(url).substr(scheme_end);
    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view host = authority, port;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos || close == 1 || !only_chars(authority.substr(1, close - 1), ":.", true)) throw bad;
        host = authority.substr(0, close + 1);
        port = authority.substr(close + 1);
    } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon);
        if (host.empty() || !only_chars(host, ".-", true) || host.front() == '.' || host.front() == '-') throw bad;
    } else if (host.empty() || !only_chars(host, ".-", true) || host.front() == '.' || host.front() == '-') {
        throw bad;
    }
    if (!port.empty()) {
        auto n = parse_id(port.substr(1));
        if (port.front() != ':' || !n || *n < 1 || *n > 65535) throw bad;
    }
    while (url.back() == '/') url.pop_back();
    return url;
}
}  // namespace

std::string SettingsReader::url(std::string_view name) {
    note(name, "URL", "");
    if (describing_) return "http://x";
    auto v = raw(name);
    if (!v) throw ConfigError("missing required setting " + std::string(name));
    return checked_url(name, *v);
}

std::string SettingsReader::url(std::string_view name, std::string_view fallback) {
    note(name, "URL", std::string(fallback));
    return checked_url(name, raw(name).value_or(std::string(fallback)));
}

long long SettingsReader::integer(std::string_view name, long long fallback, long long min, long long max) {
    note(name, "integer " + std::to_string(min) + "–" + std::to_string(max), std::to_string(fallback));
    auto v = raw(name);
    if (describing_ || !v) return fallback;
    long long n = 0;
    auto [end, error] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (error != std::errc() || end != v->data() + v->size() || n < min || n > max)
        throw ConfigError(std::string(name) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return n;
}

bool SettingsReader::flag(std::string_view name, bool fallback) {
    note(name, "true/false", fallback ? "true" : "false");
    auto v = raw(name);
    if (describing_ || !v) return fallback;
    std::string l = to_lower(*v);
    if (l == "true" || l == "1" || l == "yes" || l == "on") return true;
    if (l == "false" || l == "0" || l == "no" || l == "off") return false;
    throw ConfigError(std::string(name) + " must be true or false");
}

LogSettings LogSettings::read(SettingsReader& r) {
    LogSettings s;
    s.level = to_lower(r.text("LOG_LEVEL", "info"));
    if (s.level != "debug" && s.level != "info" && s.level != "warn" && s.level != "error")
        throw ConfigError("LOG_LEVEL must be debug, info, warn or error");
    return s;
}

std::string read_public_base_url(SettingsReader& r) { return r.url("PUBLIC_BASE_URL"); }

}  // namespace pnptv
