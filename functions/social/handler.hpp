// social — the feed: posts (text and an optional picture), likes and comments.
#pragma once

#include "http.hpp"
#include "images.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace social {

inline constexpr std::string_view feed_path = "/api/webapp/social/feed";
inline constexpr std::string_view posts_path = "/api/webapp/social/posts";      // POST; + "/" + id, + id/like, + id/comments
inline constexpr std::string_view comments_path = "/api/webapp/social/comments/";  // + id (DELETE)

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::ImageSettings images;
    int posts_per_hour;     // SOCIAL_POSTS_PER_HOUR: per person
    int comments_per_hour;  // SOCIAL_COMMENTS_PER_HOUR: per person
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace social
