// http_client.hpp — outbound HTTP through libcurl (Telegram Bot API, ePayco, Navidrome).
//
// http_call: one request at a time on one CURL handle per process, reused so connections stay
// alive between calls. HttpBatch: many GETs in flight at once from one thread (curl's multi
// interface), for a worker whose throughput would otherwise be bound by a remote's latency.
// Every request has a total timeout; status 0 means no answer (DNS, connect, TLS, timeout) and
// `error` says why. URLs are never logged here: the Bot API carries the bot token in its path.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pnptv {

struct HttpClientResponse {
    long status = 0;  // 0: no HTTP answer at all
    std::string body;
    std::string error;
};

// unix_socket: connect to that socket instead of the URL's host (nginx's nchan publisher).
HttpClientResponse http_call(std::string_view method, const std::string& url, const std::string& body,
                             const std::vector<std::string>& headers, long timeout_ms, const std::string& unix_socket = "");

class HttpBatch {
public:
    HttpBatch();
    ~HttpBatch();
    HttpBatch(const HttpBatch&) = delete;
    HttpBatch& operator=(const HttpBatch&) = delete;

    // Starts a GET; its answer comes back from wait() under `tag`.
    void get(std::string tag, const std::string& url, const std::vector<std::string>& headers, long timeout_ms);
    size_t in_flight() const;
    // Waits up to timeout_ms for requests to finish; returns those that did (maybe none).
    std::vector<std::pair<std::string, HttpClientResponse>> wait(int timeout_ms);

private:
    struct Transfer;
    void* multi_;
    std::vector<Transfer*> transfers_;
};

}  // namespace pnptv
