// settings.hpp — a program's settings: read once at start-up, typed and checked, then handed to
// whatever needs them as plain values. Nothing reads the environment after start-up.
//
// The values come from the environment and, before it, the file PNPTV_ENV_FILE names (KEY=value
// lines; the environment wins). Never from a file found by default: production can't silently
// run on env.example's secrets. A missing or malformed value stops the program, naming the
// setting (ConfigError). Each concern declares a struct of what it reads with a
// `static X read(SettingsReader&)` (DatabaseSettings in pg.hpp, SessionSettings in session.hpp …);
// a function's Settings is the sum of the concerns it uses. `<binary> --settings` lists every
// setting a program reads, with its type and default (docs/settings.md is made from that).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"

namespace pnptv {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A value that must never be printed: no conversion to text, reveal() at the point of use.
class Secret {
public:
    explicit Secret(std::string value) : value_(std::move(value)) {}
    const std::string& reveal() const { return value_; }

private:
    std::string value_;
};

// Parses env-file text into KEY=value pairs: comments, blank lines, `export `, and one pair of
// matching quotes around a value are handled. Throws ConfigError naming the line of anything else.
// scripts/lib/settings.sh reads the same format the same way.
Pairs parse_env_file(std::string_view text);

// What --settings prints for one setting.
struct SettingDescription {
    std::string name, type, fallback;  // fallback empty: required
};

class SettingsReader {
public:
    // The process's settings: PNPTV_ENV_FILE (if set) under the environment.
    static SettingsReader from_environment();
    // Exactly these values (tests build one).
    explicit SettingsReader(Pairs values);
    // Records what is read and returns placeholders; never fails (for --settings).
    static SettingsReader describing();

    std::string text(std::string_view name);                               // required, non-empty
    std::string text(std::string_view name, std::string_view fallback);
    std::optional<std::string> optional_text(std::string_view name);     // unset or empty: nullopt
    Secret secret(std::string_view name);                                  // required
    std::optional<Secret> optional_secret(std::string_view name);
    std::vector<Secret> secret_list(std::string_view name);                // comma-separated, at least one
    // http:// or https://, without trailing slashes.
    std::string url(std::string_view name);
    std::string url(std::string_view name, std::string_view fallback);
    long long integer(std::string_view name, long long fallback, long long min, long long max);
    bool flag(std::string_view name, bool fallback);  // true/false/1/0/yes/no/on/off

    const std::vector<SettingDescription>& described() const { return described_; }
    // True for the reader --settings uses: values are placeholders, so skip checks on them.
    bool describing_only() const { return describing_; }

private:
    SettingsReader() = default;
    std::optional<std::string> raw(std::string_view name) const;
    void note(std::string_view name, std::string type, std::string fallback);
    Pairs values_;
    bool describing_ = false;
    std::vector<SettingDescription> described_;
};

// PUBLIC_BASE_URL: the site's own address (links, redirects, the origin CSRF compares with).
std::string read_public_base_url(SettingsReader& r);

// Settings every program reads: the log level.
struct LogSettings {
    std::string level = "info";
    static LogSettings read(SettingsReader& r);
};

}  // namespace pnptv
