// chat — rooms people talk in: the community room, one per live stream, and direct rooms between
// two people. Messages are stored in PostgreSQL and pushed to the room's subscribers through
// nginx's nchan (common/realtime.hpp); nginx asks this function who may subscribe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "realtime.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace chat {

inline constexpr std::string_view rooms_path = "/api/webapp/chat/";              // + room + "/messages" | "/mutes"
inline constexpr std::string_view subscribe_prefix = "/api/webapp/chat/ws/";     // + room: WebSocket or EventSource (nginx + nchan)
inline constexpr std::string_view authorize_path = "/api/webapp/chat/authorize";  // nginx's subrequest for a subscriber
inline constexpr std::string_view community_room = "community";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::RealtimeSettings realtime;
    int messages_per_minute;  // CHAT_MESSAGES_PER_MINUTE: per person, over every room
    static Settings read(pnptv::SettingsReader& r);
};

// A room's name says what it is: "community", "live-<stream id>" (live_room, common/live.hpp),
// "dm-<a>-<b>" with a < b.
struct Room {
    enum class Kind { community, live, direct } kind = Kind::community;
    std::string name;
    long long stream_id = 0;  // live
    long long low = 0, high = 0;  // direct: the two people
};
std::optional<Room> parse_room(std::string_view name);
std::string direct_room(long long a, long long b);

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace chat
