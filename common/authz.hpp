// authz.hpp — the guard's record of a user, `user:<id>:authz` (banned, role, tier): a
// projection of the users row that session.hpp's one-round-trip check reads.
#pragma once

namespace pnptv {

// After a tier, role or ban change has committed: rewrites the record from PostgreSQL and drops
// the user's cached data.
void refresh_user_authz(long long user_id);

}  // namespace pnptv
