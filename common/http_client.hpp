// http_client.hpp — outbound HTTP through libcurl (Telegram Bot API, ePayco, Navidrome).
//
// One CURL handle per process, reused so connections stay alive between calls. Every call has a
// total timeout; status 0 means no answer (DNS, connect, TLS, timeout) and `error` says why.
// URLs are never logged here: the Bot API carries the bot token in its path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pnptv {

struct HttpClientResponse {
    long status = 0;  // 0: no HTTP answer at all
    std::string body;
    std::string error;
};

HttpClientResponse http_call(std::string_view method, const std::string& url, const std::string& body,
                             const std::vector<std::string>& headers, long timeout_ms);

}  // namespace pnptv
