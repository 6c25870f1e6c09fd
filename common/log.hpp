// log.hpp — one JSON line per event on stderr.
//
// Every line carries time (ISO-8601 UTC, ms), level, function and, while a request is being
// handled, its request id. Values whose key names a secret (token, secret, key, password,
// signature, hash, cookie, authorization, sid) are masked before they are written, at any depth:
// a secret can't leak by being passed to the logger by mistake.
#pragma once

#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

// Called once by the runtime: the function's name and LOG_LEVEL.
void init_logging(std::string function_name, std::string_view level_setting);
void set_log_request_id(std::string request_id);  // "" once the request is done

bool log_enabled(LogLevel level);
void log_event(LogLevel level, std::string_view event, Json fields = Json::object());

// The masking rule, exposed for tests.
bool is_secret_key(std::string_view key);
Json mask_secrets(Json value);

}  // namespace pnptv
