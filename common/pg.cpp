#include "pg.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <poll.h>

#include <libpq-fe.h>

#include "log.hpp"
#include "text.hpp"

namespace pnptv {

DatabaseSettings DatabaseSettings::read(SettingsReader& r) {
    DatabaseSettings s{r.text("DATABASE_URL")};
    // A connection string libpq can't read stops start-up, not the first request.
    if (!r.describing_only()) {
        char* error = nullptr;
        PQconninfoOption* options = PQconninfoParse(s.url.c_str(), &error);
        if (!options) {
            PQfreemem(error);
            throw ConfigError("DATABASE_URL is not a connection string libpq can read");
        }
        PQconninfoFree(options);
    }
    return s;
}

PgError::PgError(std::string message, std::string sqlstate_)
    : std::runtime_error(std::move(message)), sqlstate(std::move(sqlstate_)) {}

PgResult::~PgResult() {
    if (r_) PQclear(r_);
}
int PgResult::rows() const { return PQntuples(r_); }
int PgResult::affected() const {
    const char* n = PQcmdTuples(r_);
    return n && *n ? std::atoi(n) : 0;
}
bool PgResult::is_null(int row, int col) const { return PQgetisnull(r_, row, col); }
std::string PgResult::get(int row, int col) const {
    return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}
std::optional<std::string> PgResult::get_opt(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return get(row, col);
}
long long PgResult::get_int(int row, int col) const { return std::atoll(PQgetvalue(r_, row, col)); }
bool PgResult::get_bool(int row, int col) const { return PQgetvalue(r_, row, col)[0] == 't'; }
int PgResult::column(std::string_view name) const { return PQfnumber(r_, std::string(name).c_str()); }
int PgResult::checked_column(std::string_view name) const {
    int c = column(name);
    if (c < 0) throw std::logic_error("the result has no column " + std::string(name));
    return c;
}

Pg::Pg(std::string conninfo) : conninfo_(std::move(conninfo)) {}
Pg::~Pg() { disconnect(); }

bool Pg::connected() const { return conn_ && PQstatus(conn_) == CONNECTION_OK; }

void Pg::disconnect() {
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    in_transaction_ = false;
}

void Pg::ensure_connected() {
    if (conn_ && !in_transaction_ && channels_.empty()) {
        // An idle connection has nothing to say unless the server is ending it (a FATAL message,
        // then EOF after a restart or pg_terminate_backend). Anything waiting to be read, or a
        // bad status, means: start over on a fresh connection instead of failing mid-statement.
        // So does a transaction left aborted (a ROLLBACK that failed too, out of memory say):
        // every statement on it would fail until the process restarts.
        pollfd p{PQsocket(conn_), POLLIN, 0};
        if (PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) == PQTRANS_INERROR || poll(&p, 1, 0) != 0)
            disconnect();
    }
    if (conn_) return;
    // connect_timeout first so a value in the URL overrides it.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"2", "pnptv", conninfo_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (PQstatus(conn_) != CONNECTION_OK) {
        log_event(LogLevel::warn, "postgres_connect_failed", {{"error", PQerrorMessage(conn_)}});
        disconnect();
        throw PgUnavailable();
    }
}

PgResult Pg::exec(std::string_view sql, const std::vector<PgParam>& params) {
    ensure_connected();
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p.value ? p.value->c_str() : nullptr);
    PgResult result(PQexecParams(conn_, std::string(sql).c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0));
    ExecStatusType status = PQresultStatus(result.r_);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    if (PQstatus(conn_) != CONNECTION_OK) {
        log_event(LogLevel::warn, "postgres_connection_lost", {{"error", PQerrorMessage(conn_)}});
        disconnect();
        throw PgUnavailable();
    }
    const char* state = result.r_ ? PQresultErrorField(result.r_, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state ? state : "";
    std::string message = result.r_ ? PQresultErrorMessage(result.r_) : PQerrorMessage(conn_);
    // Class 53, insufficient resources (a full disk, memory, connections): the server can't do
    // any such work for now, whatever the statement — unavailable, like a lost connection, so the
    // caller answers 503 and the sender tries again. The connection itself is fine.
    if (sqlstate.rfind("53", 0) == 0) {
        log_event(LogLevel::error, "postgres_insufficient_resources", {{"sqlstate", sqlstate}, {"error", message}});
        throw PgUnavailable();
    }
    throw PgError(std::move(message), sqlstate);
}

void Pg::transaction(const std::function<void()>& body) {
    exec("BEGIN");
    in_transaction_ = true;
    try {
        body();
        exec("COMMIT");
        in_transaction_ = false;
    } catch (...) {
        if (conn_) {
            in_transaction_ = false;
            PGresult* r = PQexec(conn_, "ROLLBACK");
            PQclear(r);
        }
        throw;
    }
}

void Pg::listen(std::string_view channel) {
    // A channel is an identifier, not a value: only plain names are accepted, then quoted.
    if (channel.empty() || !only_chars(channel, "abcdefghijklmnopqrstuvwxyz_")) throw std::invalid_argument("listen: bad channel name");
    channels_.emplace_back(channel);
    listen_all({channels_.back()});
}

void Pg::listen_all(const std::vector<std::string>& channels) {
    for (const auto& ch : channels) exec("LISTEN \"" + ch + "\"");
}

bool Pg::wait_for_notification(int timeout_ms) {
    bool fresh = !conn_;
    ensure_connected();
    if (fresh) listen_all(channels_);  // a new connection has forgotten them
    auto drain = [&] {
        bool any = false;
        while (PGnotify* n = PQnotifies(conn_)) {
            any = true;
            PQfreemem(n);
        }
        return any;
    };
    if (drain()) return true;
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    if (!PQconsumeInput(conn_)) {
        disconnect();
        return false;
    }
    return drain();
}

namespace {
Json without_nul(const Json& v) {
    auto clean = [](std::string s) {
        s.erase(std::remove(s.begin(), s.end(), '\0'), s.end());
        return s;
    };
    if (v.is_string()) return clean(v.get<std::string>());
    if (v.is_array()) {
        Json out = Json::array();
        for (const auto& e : v) out.push_back(without_nul(e));
        return out;
    }
    if (v.is_object()) {
        Json out = Json::object();
        for (const auto& [k, e] : v.items()) out[clean(k)] = without_nul(e);
        return out;
    }
    return v;
}
}  // namespace

std::string jsonb_text(const Json& value) { return without_nul(value).dump(-1, ' ', false, Json::error_handler_t::replace); }

namespace {
std::optional<Pg> g_database;
}

void configure_database(const DatabaseSettings& settings) { g_database.emplace(settings.url); }

Pg& db() {
    if (!g_database) throw std::logic_error("db() before configure_database()");
    return *g_database;
}

}  // namespace pnptv
