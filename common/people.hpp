// people.hpp — how a person appears to others (profile views, followers, the feed's authors)
// and who may see whom. One place for both, so every list shows people the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"
#include "pg.hpp"
#include "session.hpp"

namespace pnptv {

// The select-list columns person_json reads, for a users row aliased `u`:
//   "SELECT " + std::string(person_columns) + " FROM users u …"
inline constexpr std::string_view person_columns =
    "u.id AS person_id, COALESCE(u.display_name, u.first_name) AS person_name, u.username AS person_username, "
    "u.avatar AS person_avatar, u.photo_url AS person_photo";

// {"id","display_name","username","avatar":{"large","small"}|null}: the user's own avatar, else
// Telegram's photo for both sizes, else null.
Json person_json(const PgResult& r, int row);

// Profile visibility (users.visibility): public — anyone; members — anyone logged in; private —
// only the person (and admins).
bool may_view(const std::optional<Identity>& viewer, long long owner_id, std::string_view visibility);

// The person confirmed they are 18 or older — the bot's button and the web's gate both land here,
// on users.age_verified_at (the first confirmation's time is kept). Returns their first name;
// nullopt when there is no such living account.
std::optional<std::string> confirm_age(long long user_id);

}  // namespace pnptv
