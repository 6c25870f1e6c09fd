#include "audit.hpp"

#include "pg.hpp"

namespace pnptv {

long long audit(std::optional<long long> actor, std::string_view action, std::string_view subject_type, std::string_view subject_id,
                const Json& details) {
    return db().exec("INSERT INTO audit_log (actor_user_id, action, subject_type, subject_id, details) VALUES ($1, $2, $3, $4, $5::jsonb) "
                     "RETURNING id",
                     {actor, std::string(action), std::string(subject_type), std::string(subject_id), jsonb_text(details)}).get_int(0, 0);
}

}  // namespace pnptv
