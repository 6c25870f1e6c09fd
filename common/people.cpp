#include "people.hpp"

#include "images.hpp"

namespace pnptv {

Json person_json(const PgResult& r, int row) {
    Json avatar = nullptr;
    if (auto hash = r.get_opt(row, "person_avatar")) {
        Json urls = image_urls(ImageKind::avatar, *hash);
        avatar = {{"large", urls["512"]}, {"small", urls["128"]}};
    } else if (auto photo = r.get_opt(row, "person_photo")) {
        avatar = {{"large", *photo}, {"small", *photo}};
    }
    return {{"id", r.get_int(row, "person_id")},
            {"display_name", r.get(row, "person_name")},
            {"username", r.get_opt(row, "person_username") ? Json(*r.get_opt(row, "person_username")) : Json(nullptr)},
            {"avatar", avatar}};
}

bool may_view(const std::optional<Identity>& viewer, long long owner_id, std::string_view visibility) {
    if (viewer && (viewer->user_id == owner_id || viewer->role == "admin")) return true;
    if (visibility == "public") return true;
    if (visibility == "members") return viewer.has_value();
    return false;
}

std::optional<std::string> confirm_age(long long user_id) {
    auto r = db().exec("UPDATE users SET age_verified_at = COALESCE(age_verified_at, now()) "
                       "WHERE id = $1 AND deleted_at IS NULL RETURNING first_name", {user_id});
    if (r.rows() == 0) return std::nullopt;
    return r.get(0, 0);
}

}  // namespace pnptv
