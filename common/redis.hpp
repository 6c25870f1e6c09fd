// redis.hpp — Redis through hiredis: one connection per process, opened lazily with a connect
// timeout, every command bounded by a command timeout, re-opened after a failure.
//
// Arguments always travel as separate binary-safe strings (redisCommandArgv): no format
// strings, so no value can change a command's shape. A connection that was dropped while idle
// (server restart) is retried once on a fresh connection; a timeout is not retried.
// Unreachable → RedisUnavailable (storage_errors.hpp; 503 from the router); callers that must
// fail closed catch it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http.hpp"
#include "settings.hpp"
#include "storage_errors.hpp"

struct redisContext;
struct redisReply;

namespace pnptv {

class RedisReply {
public:
    explicit RedisReply(redisReply* r) : r_(r) {}
    RedisReply(RedisReply&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
    RedisReply(const RedisReply&) = delete;
    ~RedisReply();

    bool is_nil() const;
    bool is_error() const;
    bool is_string() const;   // bulk or status string
    bool is_integer() const;
    bool is_array() const;
    std::string str() const;  // bulk/status/error text; "" otherwise
    long long integer() const;
    size_t size() const;      // array length
    std::optional<std::string> element(size_t i) const;  // string element of an array, or nullopt

private:
    redisReply* r_;
};

struct RedisEndpoint {
    std::string host;   // empty for unix sockets
    int port = 6379;
    std::string unix_path;
    int db = 0;
};
// redis://host:port/db or unix:///path/redis.sock[?db=N]; nullopt when malformed.
std::optional<RedisEndpoint> parse_redis_url(std::string_view url);

struct RedisSettings {
    RedisEndpoint endpoint;  // REDIS_URL
    int timeout_ms = 500;    // REDIS_TIMEOUT_MS: bounds both the connect and every command
    static RedisSettings read(SettingsReader& r);
};

// A Lua script and its SHA-1, computed once.
struct RedisScript {
    explicit RedisScript(std::string_view text);
    std::string_view text;
    std::string sha;
};

class Redis {
public:
    Redis(RedisEndpoint endpoint, int connect_timeout_ms, int command_timeout_ms);
    ~Redis();
    Redis(const Redis&) = delete;
    Redis& operator=(const Redis&) = delete;

    RedisReply command(const std::vector<std::string_view>& args);
    // Several commands in one round trip; one reply each, in order. A connection found closed
    // is retried once, so the commands must be safe to repeat (SET, HSET, DEL, EXPIRE …).
    std::vector<RedisReply> pipeline(const std::vector<std::vector<std::string>>& commands);
    // EVALSHA of a Lua script by its SHA-1 (computed locally: no extra round trip in a fresh
    // process); loads it only when Redis answers NOSCRIPT (first use, or after a restart).
    RedisReply eval(const RedisScript& script, const std::vector<std::string_view>& keys,
                    const std::vector<std::string_view>& args);
    void disconnect();

private:
    void ensure_connected();
    redisReply* send(const std::vector<std::string_view>& args);
    RedisEndpoint endpoint_;
    int connect_timeout_ms_;
    int command_timeout_ms_;
    redisContext* ctx_ = nullptr;
};

// The process's connection: configured once at start-up, opened at first use.
void configure_redis(const RedisSettings& settings);
Redis& redis();

}  // namespace pnptv
