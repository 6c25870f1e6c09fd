// videos — the Videorama library: a catalogue in PostgreSQL, playback streamed by nginx itself
// from the media root (X-Accel-Redirect to an internal location), and its administration.
#pragma once

#include "http.hpp"
#include "images.hpp"
#include "pg.hpp"
#include "rbac.hpp"
#include "redis.hpp"
#include "runtime.hpp"

namespace videos {

inline constexpr std::string_view videos_path = "/api/webapp/videos";  // + "/" + id, + id/play, + id/poster
// nginx's internal location over MEDIA_DIR: only a function's X-Accel-Redirect reaches it.
inline constexpr std::string_view media_location = "/__media/";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::RedisSettings redis;
    pnptv::WebSettings web;
    pnptv::ImageSettings images;
    std::string media_dir;  // MEDIA_DIR: the video files, placed there by the operator
    static Settings read(pnptv::SettingsReader& r);
};

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace videos
