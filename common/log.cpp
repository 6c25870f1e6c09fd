#include "log.hpp"

#include <chrono>
#include <cstdio>

#include <date/date.h>

#include "text.hpp"

namespace pnptv {

namespace {
std::string g_function = "pnptv";
std::string g_request_id;
LogLevel g_level = LogLevel::info;

const char* level_name(LogLevel l) {
    switch (l) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warn: return "warn";
        case LogLevel::error: return "error";
    }
    return "info";
}
}  // namespace

void init_logging(std::string function_name, std::string_view level_setting) {
    g_function = std::move(function_name);
    std::string l = to_lower(level_setting);
    g_level = l == "debug" ? LogLevel::debug : l == "warn" ? LogLevel::warn : l == "error" ? LogLevel::error : LogLevel::info;
}

void set_log_request_id(std::string request_id) { g_request_id = std::move(request_id); }

bool log_enabled(LogLevel level) { return level >= g_level; }

bool is_secret_key(std::string_view key) {
    static constexpr std::string_view words[] = {"token", "secret", "key", "password", "passwd", "signature",
                                                 "hash", "cookie", "authorization", "sid", "init_data", "initdata"};
    std::string k = to_lower(key);
    for (auto w : words)
        if (k.find(w) != std::string::npos) return true;
    return false;
}

Json mask_secrets(Json value) {
    if (value.is_object()) {
        for (auto& [k, v] : value.items()) {
            if (is_secret_key(k) && !v.is_null())
                v = "***";
            else
                v = mask_secrets(std::move(v));
        }
    } else if (value.is_array()) {
        for (auto& v : value) v = mask_secrets(std::move(v));
    }
    return value;
}

void log_event(LogLevel level, std::string_view event, Json fields) {
    if (!log_enabled(level)) return;
    using namespace std::chrono;
    Json line = {{"time", date::format("%FT%TZ", floor<milliseconds>(system_clock::now()))},
                 {"level", level_name(level)},
                 {"function", g_function},
                 {"event", event}};
    if (!g_request_id.empty()) line["request_id"] = g_request_id;
    if (fields.is_object()) {
        Json masked = mask_secrets(std::move(fields));
        line.update(masked);
    }
    std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

}  // namespace pnptv
