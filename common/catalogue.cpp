#include "catalogue.hpp"

#include "pg.hpp"

namespace pnptv {

std::vector<std::string> newest_video_titles(int count) {
    auto r = db().exec("SELECT v.title FROM videos v WHERE " + std::string(video_published_sql) +
                           " ORDER BY v.published_at DESC, v.id DESC LIMIT $1",
                       {count});
    std::vector<std::string> titles;
    for (int i = 0; i < r.rows(); ++i) titles.push_back(r.get(i, "title"));
    return titles;
}

}  // namespace pnptv
