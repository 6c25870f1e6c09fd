// catalogue.hpp — the Videorama catalogue (table videos) as others read it: what counts as
// published, and the newest titles (the bot's /videorama). functions/videos owns the rest.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pnptv {

// A video anyone may list: published, and not scheduled for later. For a `videos v` row.
inline constexpr std::string_view video_published_sql = "v.published_at <= now()";

std::vector<std::string> newest_video_titles(int count);

}  // namespace pnptv
