// storage_errors.hpp — what the storage layer throws when a store can't be reached, or can't do
// any work for now (PostgreSQL out of disk, memory or connections: SQLSTATE class 53). Not HTTP
// errors: the storage layer knows nothing of requests. The router turns one into a 503 (with
// Retry-After) in one place; a daemon waits and tries again.
#pragma once

#include <stdexcept>
#include <string>

namespace pnptv {

struct StorageUnavailable : std::runtime_error {
    std::string code;  // "database_unavailable", "redis_unavailable"
    StorageUnavailable(std::string code_, const std::string& what) : std::runtime_error(what), code(std::move(code_)) {}
};

struct PgUnavailable : StorageUnavailable {
    PgUnavailable() : StorageUnavailable("database_unavailable", "The database is unavailable; try again shortly.") {}
};

struct RedisUnavailable : StorageUnavailable {
    RedisUnavailable() : StorageUnavailable("redis_unavailable", "A required service is unavailable; try again shortly.") {}
};

}  // namespace pnptv
