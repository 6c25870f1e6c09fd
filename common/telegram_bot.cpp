#include "telegram_bot.hpp"

#include "http_client.hpp"

namespace pnptv {

BotApiSettings BotApiSettings::read(SettingsReader& r) {
    return {r.secret("TELEGRAM_BOT_TOKEN"), r.url("TELEGRAM_API_BASE", "https://api.telegram.org"),
            r.integer("TELEGRAM_TIMEOUT_MS", 10000, 100, 120000)};
}

BotApiResult call_bot_api(const BotApiSettings& s, std::string_view method, const Json& params) {
    const std::string url = s.api_base + "/bot" + s.token.reveal() + "/" + std::string(method);
    auto r = http_call("POST", url, params.dump(-1, ' ', false, Json::error_handler_t::replace),
                       {"Content-Type: application/json"}, s.timeout_ms);
    BotApiResult out;
    out.http_status = r.status;
    if (r.status == 0) {
        out.description = r.error;
        return out;
    }
    Json answer = Json::parse(r.body, nullptr, false);
    if (!answer.is_object()) {
        out.description = "HTTP " + std::to_string(r.status) + " with a body that is not JSON";
        return out;
    }
    out.ok = answer.value("ok", false) && r.status == 200;
    if (answer.contains("result")) out.result = answer["result"];
    if (!out.ok) {
        out.error_code = answer.value("error_code", r.status);
        out.description = answer.value("description", std::string("no description"));
        if (answer.contains("parameters") && answer["parameters"].is_object())
            out.retry_after = answer["parameters"].value("retry_after", 0L);
    }
    return out;
}

}  // namespace pnptv
