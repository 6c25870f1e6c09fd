#include "realtime.hpp"

#include "http_client.hpp"
#include "log.hpp"
#include "outbox.hpp"

namespace pnptv {

namespace {
// The host part is ignored by nginx on its unix socket; the path names the channel.
std::string channel_url(std::string_view channel) { return "http://nchan/channels/" + std::string(channel); }

HttpClientResponse call(const RealtimeSettings& s, std::string_view method, std::string_view channel, const std::string& body) {
    std::vector<std::string> headers;
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return http_call(method, channel_url(channel), body, headers, s.timeout_ms, s.publish_socket);
}

// nginx took it: a POST 201 (delivered to subscribers) or 202 (stored, nobody listening); a
// DELETE 200, or 404 when the channel had nobody.
bool taken(long status, bool close) { return close ? status == 200 || status == 404 : status == 201 || status == 202; }
}  // namespace

RealtimeSettings RealtimeSettings::read(SettingsReader& r) {
    return {r.text("NCHAN_PUBLISH_SOCKET", "/run/pnptv/nchan.sock"), static_cast<long>(r.integer("NCHAN_PUBLISH_TIMEOUT_MS", 1000, 50, 10000))};
}

std::string room_channel(std::string_view room) { return "room-" + std::string(room); }
std::string member_channel(std::string_view room, long long user_id) { return "member-" + std::string(room) + "-" + std::to_string(user_id); }

bool publish(const RealtimeSettings& s, std::string_view channel, const Json& event) {
    auto r = call(s, "POST", channel, event.dump());
    if (taken(r.status, false)) return true;
    log_event(LogLevel::warn, "realtime_failed", {{"channel", channel}, {"status", r.status}, {"error", r.error}});
    return false;
}

void enqueue_realtime_event(std::string_view channel, const Json& event, const std::optional<std::string>& dedupe_key) {
    enqueue_outbox("realtime", 0, {{"channel", channel}, {"event", event}}, dedupe_key);
}

void enqueue_channel_close(std::string_view channel, const std::optional<std::string>& dedupe_key) {
    enqueue_outbox("realtime", 0, {{"channel", channel}, {"close", true}}, dedupe_key);
}

bool deliver_realtime(const RealtimeSettings& s, const Json& payload, std::string& error) {
    if (!payload.is_object() || !payload.contains("channel") || !payload["channel"].is_string()) {
        error = "realtime row without a channel";
        return false;
    }
    const std::string channel = payload["channel"];
    const bool close = payload.value("close", false);
    auto r = close ? call(s, "DELETE", channel, "") : call(s, "POST", channel, payload.value("event", Json::object()).dump());
    if (taken(r.status, close)) return true;
    error = r.status ? "nchan answered " + std::to_string(r.status) : r.error;
    return false;
}

}  // namespace pnptv
