#include "epayco.hpp"

#include "config.hpp"
#include "crypto.hpp"
#include "http_client.hpp"
#include "log.hpp"
#include "redis.hpp"
#include "urlencoded.hpp"

namespace pnptv {

std::string epayco_signature(std::string_view cust_id, std::string_view p_key, std::string_view ref_payco,
                             std::string_view transaction_id, std::string_view amount, std::string_view currency) {
    std::string message;
    for (std::string_view part : {cust_id, p_key, ref_payco, transaction_id, amount, currency}) {
        if (!message.empty()) message.push_back('^');
        message.append(part);
    }
    return to_hex(sha256(message));
}

std::optional<std::string> epayco_state_name(int code) {
    switch (code) {
        case 1: return "approved";
        case 2: return "declined";
        case 3: return "pending";
        case 4: return "failed";
        case 6: return "reversed";
        case 7: return "held";
        case 8: return "started";
        case 9: return "expired";
        case 10: return "abandoned";
        case 11: return "cancelled";
        case 12: return "antifraud";
        default: return std::nullopt;
    }
}

bool epayco_transition_allowed(std::string_view from, int to_code) {
    if (from == "pending" || from == "held" || from == "started") return true;
    if (from == "approved") return to_code == 6;
    return false;
}

EpaycoValidation epayco_validate_reference(std::string_view ref_payco) {
    EpaycoValidation out;
    auto r = http_call("GET", url_setting("EPAYCO_API_BASE", "https://secure.epayco.co") + "/validation/v1/reference/" +
                                  percent_encode(ref_payco),
                       {}, {"Accept: application/json"}, setting_int("EPAYCO_TIMEOUT_MS", 8000));
    if (r.status == 0 || r.status >= 500) {
        log_event(LogLevel::warn, "epayco_validation_unreachable", {{"ref_payco", ref_payco}, {"status", r.status}, {"error", r.error}});
        return out;
    }
    out.reachable = true;
    Json answer = Json::parse(r.body, nullptr, false);
    if (r.status == 200 && answer.is_object() && answer.value("success", false) && answer.contains("data") &&
        answer["data"].is_object()) {
        out.found = true;
        // ePayco may render some fields as numbers; they are kept as their text, like a form's.
        for (const auto& [k, val] : answer["data"].items())
            out.fields.emplace_back(k, val.is_string() ? val.get<std::string>() : val.dump());
    }
    return out;
}

std::optional<std::string> epayco_create_checkout_session(const Json& fields) {
    const std::string base = url_setting("EPAYCO_APIFY_BASE", "https://apify.epayco.co");
    const long timeout = setting_int("EPAYCO_TIMEOUT_MS", 8000);
    // The login token is cached (for at most 14 minutes) in Redis, shared by every worker.
    std::string token;
    auto cached = redis().command({"GET", "epayco:apify:token"});
    if (cached.is_string()) token = cached.str();
    if (token.empty()) {
        std::string basic = base64_encode(required_setting("EPAYCO_PUBLIC_KEY") + ":" + required_setting("EPAYCO_PRIVATE_KEY"));
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
