// pg.hpp — PostgreSQL through libpq: one connection per process, opened lazily, reused across
// requests and re-opened after a failure.
//
// Only parameterised statements exist here (PQexecParams, text format): there is no call that
// takes SQL with values pasted in. A lost connection is detected before each statement outside
// a transaction (a server restart leaves EOF on the socket) so the first request after a
// restart reconnects instead of failing. Unreachable database, or one that lacks a resource
// (SQLSTATE class 53: a full disk, memory, connections) → PgUnavailable (storage_errors.hpp; the
// router answers 503 so the sender retries); any other SQL error → PgError carrying its SQLSTATE.
#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "settings.hpp"
#include "storage_errors.hpp"

struct pg_conn;
struct pg_result;

namespace pnptv {

struct DatabaseSettings {
    std::string url;  // DATABASE_URL, a libpq connection string
    static DatabaseSettings read(SettingsReader& r);
};

struct PgError : std::runtime_error {
    std::string sqlstate;  // e.g. "23505" unique violation
    PgError(std::string message, std::string sqlstate);
};

// One statement parameter: text, or NULL.
struct PgParam {
    std::optional<std::string> value;
    PgParam(std::nullopt_t) {}
    PgParam(std::nullptr_t) {}  // NULL too (never a null const char*)
    PgParam(std::string v) : value(std::move(v)) {}
    PgParam(std::string_view v) : value(std::string(v)) {}
    PgParam(const char* v) : value(std::string(v)) {}
    PgParam(long long v) : value(std::to_string(v)) {}
    PgParam(long v) : value(std::to_string(v)) {}
    PgParam(int v) : value(std::to_string(v)) {}
    PgParam(bool v) : value(v ? "true" : "false") {}
    template <class T>
    PgParam(const std::optional<T>& v) {
        if (v) value = PgParam(*v).value;
    }
};

class PgResult {
public:
    explicit PgResult(pg_result* r) : r_(r) {}
    PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    PgResult& operator=(PgResult&&) = delete;
    PgResult(const PgResult&) = delete;
    ~PgResult();

    int rows() const;
    int affected() const;  // rows touched by INSERT/UPDATE/DELETE
    bool is_null(int row, int col) const;
    std::string get(int row, int col) const;  // "" for NULL
    std::optional<std::string> get_opt(int row, int col) const;
    long long get_int(int row, int col) const;
    bool get_bool(int row, int col) const;
    int column(std::string_view name) const;  // -1 when absent

    // The same by column name: what a row is read by, so reordering a SELECT can't shift a
    // value into the wrong field (positions are for one-column results). A name the result
    // doesn't have throws std::logic_error.
    bool is_null(int row, std::string_view col) const { return is_null(row, checked_column(col)); }
    std::string get(int row, std::string_view col) const { return get(row, checked_column(col)); }
    std::optional<std::string> get_opt(int row, std::string_view col) const { return get_opt(row, checked_column(col)); }
    long long get_int(int row, std::string_view col) const { return get_int(row, checked_column(col)); }
    bool get_bool(int row, std::string_view col) const { return get_bool(row, checked_column(col)); }

private:
    friend class Pg;
    int checked_column(std::string_view name) const;
    pg_result* r_;
};

class Pg {
public:
    explicit Pg(std::string conninfo);
    ~Pg();
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;

    PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});

    // Runs body inside BEGIN … COMMIT; ROLLBACK when it throws (and rethrows).
    void transaction(const std::function<void()>& body);

    // LISTEN on a channel (re-issued after a reconnect), and wait up to timeout_ms for a
    // NOTIFY on it; true when one arrived. Interrupted by a signal → false at once.
    void listen(std::string_view channel);
    bool wait_for_notification(int timeout_ms);

    bool connected() const;
    void disconnect();

private:
    void ensure_connected();
    void listen_all(const std::vector<std::string>& channels);
    std::string conninfo_;
    pg_conn* conn_ = nullptr;
    bool in_transaction_ = false;
    std::vector<std::string> channels_;
};

// A JSON value as text a jsonb parameter accepts: invalid UTF-8 replaced, and NUL characters
// (which jsonb cannot store, whatever their escaping) removed from every string and key. Every
// JSON that reaches a jsonb column goes through this, since much of it is outside input.
std::string jsonb_text(const Json& value);

// The process's connection: configured once at start-up (the runtime does it from the
// function's settings), opened at first use.
void configure_database(const DatabaseSettings& settings);
Pg& db();

}  // namespace pnptv
