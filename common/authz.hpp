// authz.hpp — the guard's record of each user, `user:<id>:authz` (hash: banned, role, tier), and
// the user's cached data, `user:<id>:cache` (one hash, so dropping it is one DEL).
//
// The record is a projection of the users row and PostgreSQL is the truth: a trigger on users
// writes the intent ("user N changed", table authz_changes) in the same transaction as any change
// of ban, role or tier, and authz-worker applies it until Redis answers, so the record becomes
// right again by itself after any Redis failure. Code that changes a user also writes the record
// at once after its commit (project_users_now), so the next request already sees the change; if
// Redis is down at that moment nothing is lost. A user with no record is denied by the guard
// (fail closed); every user gets one (deploy backfill, authz-worker's repair pass, login).
// Nothing here scans the keyspace.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pnptv {

struct AuthzRecord {
    long long user_id = 0;
    bool exists = false;  // false: the user is gone; the record is removed
    bool banned = false;
    std::string role = "user", tier = "free";
};

std::string authz_key(long long user_id);
std::string user_cache_key(long long user_id);

// The users' rows as the guard should see them (one query).
std::vector<AuthzRecord> load_authz(const std::vector<long long>& user_ids);
// Writes the records and drops each user's cache, in one round trip. Throws RedisUnavailable.
void write_authz(const std::vector<AuthzRecord>& records);
// After a committed change: loads and writes these users' records now. Redis down is logged,
// not thrown: the database's intent (authz_changes) brings the record right once it is back.
void project_users_now(const std::vector<long long>& user_ids);

}  // namespace pnptv
