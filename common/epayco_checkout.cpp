// Checkout v2 sessions (epayco.hpp), apart from the wire formats: only the payment function
// creates them, and only it should link the HTTP client for it.
#include "crypto.hpp"
#include "epayco.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "redis.hpp"

namespace pnptv {

std::optional<std::string> epayco_create_checkout_session(const EpaycoCheckoutSettings& s, const Json& fields) {
    const std::string& base = s.apify_base;
    const long timeout = s.timeout_ms;
    // The login token is cached (for at most 14 minutes) in Redis, shared by every worker.
    std::string token;
    auto cached = redis().command({"GET", "epayco:apify:token"});
    if (cached.is_string()) token = cached.str();
    if (token.empty()) {
        std::string basic = base64_encode(s.public_key + ":" + (s.private_key ? s.private_key->reveal() : std::string()));
        auto login = http_call("POST", base + "/login", "{}", {"Content-Type: application/json", "Authorization: Basic " + basic}, timeout);
        Json j = Json::parse(login.body, nullptr, false);
        if (login.status != 200 || !j.is_object() || !j.contains("token") || !j["token"].is_string()) {
            log_event(LogLevel::warn, "epayco_login_failed", {{"status", login.status}, {"error", login.error}});
            return std::nullopt;
        }
        token = j["token"].get<std::string>();
        redis().command({"SET", "epayco:apify:token", token, "EX", "840"});
    }
    auto created = http_call("POST", base + "/payment/session/create", fields.dump(),
                             {"Content-Type: application/json", "Authorization: Bearer " + token}, timeout);
    Json j = Json::parse(created.body, nullptr, false);
    if (created.status == 401) redis().command({"DEL", "epayco:apify:token"});  // expired early: next call logs in again
    if (created.status != 200 || !j.is_object() || !j.contains("data") || !j["data"].is_object() ||
        !j["data"].contains("sessionId") || !j["data"]["sessionId"].is_string()) {
        log_event(LogLevel::warn, "epayco_session_failed", {{"status", created.status}, {"error", created.error}});
        return std::nullopt;
    }
    return j["data"]["sessionId"].get<std::string>();
}

}  // namespace pnptv
