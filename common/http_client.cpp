#include "http_client.hpp"

#include <curl/curl.h>

#include <algorithm>

namespace pnptv {

namespace {
size_t collect(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

void global_init() {
    static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
    (void)done;
}

CURL* shared_handle() {
    static CURL* handle = [] {
        global_init();
        return curl_easy_init();
    }();
    return handle;
}

// What every request shares: limits, protocols, where the body goes.
void configure(CURL* c, const std::string& url, curl_slist* headers, long timeout_ms, std::string* body_out) {
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 3000 ? timeout_ms : 3000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body_out);
}

curl_slist* header_list(const std::vector<std::string>& headers) {
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    return list;
}
}  // namespace

HttpClientResponse http_call(std::string_view method, const std::string& url, const std::string& body,
                             const std::vector<std::string>& headers, long timeout_ms, const std::string& unix_socket) {
    HttpClientResponse out;
    CURL* c = shared_handle();
    curl_easy_reset(c);
    curl_slist* list = header_list(headers);
    std::string m(method);
    configure(c, url, list, timeout_ms, &out.body);
    if (!unix_socket.empty()) curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, unix_socket.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
    if (m != "GET") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
    else out.error = curl_easy_strerror(rc);
    curl_slist_free_all(list);
    return out;
}

struct HttpBatch::Transfer {
    std::string tag;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpClientResponse response;
};

HttpBatch::HttpBatch() {
    global_init();
    multi_ = curl_multi_init();
}

HttpBatch::~HttpBatch() {
    for (Transfer* t : transfers_) {
        curl_multi_remove_handle(static_cast<CURLM*>(multi_), t->easy);
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        delete t;
    }
    curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpBatch::get(std::string tag, const std::string& url, const std::vector<std::string>& headers, long timeout_ms) {
    auto* t = new Transfer{std::move(tag), curl_easy_init(), header_list(headers), {}};
    configure(t->easy, url, t->headers, timeout_ms, &t->response.body);
    curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
    transfers_.push_back(t);
    curl_multi_add_handle(static_cast<CURLM*>(multi_), t->easy);
}

size_t HttpBatch::in_flight() const { return transfers_.size(); }

std::vector<std::pair<std::string, HttpClientResponse>> HttpBatch::wait(int timeout_ms) {
    auto* multi = static_cast<CURLM*>(multi_);
    std::vector<std::pair<std::string, HttpClientResponse>> done;
    int running = 0;
    curl_multi_perform(multi, &running);
    if (running == static_cast<int>(transfers_.size()) && running > 0) {
        curl_multi_poll(multi, nullptr, 0, timeout_ms, nullptr);
        curl_multi_perform(multi, &running);
    }
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
        if (msg->data.result == CURLE_OK) curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->response.status);
        else t->response.error = curl_easy_strerror(msg->data.result);
        curl_multi_remove_handle(multi, t->easy);
        curl_easy_cleanup(t->easy);
        curl_slist_free_all(t->headers);
        done.emplace_back(std::move(t->tag), std::move(t->response));
        transfers_.erase(std::find(transfers_.begin(), transfers_.end(), t));
        delete t;
    }
    return done;
}

}  // namespace pnptv
