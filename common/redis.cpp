#include "redis.hpp"

#include <cerrno>
#include <csignal>

#include <hiredis/hiredis.h>

#include "crypto.hpp"
#include "log.hpp"
#include "text.hpp"

namespace pnptv {

RedisReply::~RedisReply() {
    if (r_) freeReplyObject(r_);
}
bool RedisReply::is_nil() const { return r_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_error() const { return r_->type == REDIS_REPLY_ERROR; }
bool RedisReply::is_string() const { return r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS; }
bool RedisReply::is_integer() const { return r_->type == REDIS_REPLY_INTEGER; }
bool RedisReply::is_array() const { return r_->type == REDIS_REPLY_ARRAY; }
std::string RedisReply::str() const {
    if (r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS || r_->type == REDIS_REPLY_ERROR)
        return std::string(r_->str, r_->len);
    return {};
}
long long RedisReply::integer() const { return r_->type == REDIS_REPLY_INTEGER ? r_->integer : 0; }
size_t RedisReply::size() const { return r_->type == REDIS_REPLY_ARRAY ? r_->elements : 0; }
std::optional<std::string> RedisReply::element(size_t i) const {
    if (r_->type != REDIS_REPLY_ARRAY || i >= r_->elements) return std::nullopt;
    const redisReply* e = r_->element[i];
    if (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS) return std::string(e->str, e->len);
    if (e->type == REDIS_REPLY_INTEGER) return std::to_string(e->integer);
    return std::nullopt;
}

std::optional<RedisEndpoint> parse_redis_url(std::string_view url) {
    RedisEndpoint ep;
    auto parse_int = [](std::string_view s, int& out) {
        auto n = s.size() <= 5 ? parse_id(s) : std::nullopt;
        if (n) out = static_cast<int>(*n);
        return n.has_value();
    };
    if (url.substr(0, 7) == "unix://") {
        std::string_view rest = url.substr(7);
        size_t q = rest.find('?');
        ep.unix_path = std::string(rest.substr(0, q));
        if (ep.unix_path.empty() || ep.unix_path.front() != '/') return std::nullopt;
        if (q != std::string_view::npos) {
            std::string_view query = rest.substr(q + 1);
            if (query.substr(0, 3) != "db=" || !parse_int(query.substr(3), ep.db)) return std::nullopt;
        }
        return ep;
    }
    if (url.substr(0, 8) != "redis://") return std::nullopt;
    std::string_view rest = url.substr(8);
    size_t slash = rest.find('/');
    std::string_view hostport = rest.substr(0, slash);
    if (slash != std::string_view::npos && slash + 1 < rest.size() && !parse_int(rest.substr(slash + 1), ep.db))
        return std::nullopt;
    size_t colon = hostport.rfind(':');
    if (colon != std::string_view::npos) {
        if (!parse_int(hostport.substr(colon + 1), ep.port)) return std::nullopt;
        hostport = hostport.substr(0, colon);
    }
    if (hostport.empty()) return std::nullopt;
    ep.host = std::string(hostport);
    return ep;
}

Redis::Redis(RedisEndpoint endpoint, int connect_timeout_ms, int command_timeout_ms)
    : endpoint_(std::move(endpoint)), connect_timeout_ms_(connect_timeout_ms), command_timeout_ms_(command_timeout_ms) {
    // hiredis writes with write(2): a connection the server closed would raise SIGPIPE and kill
    // the process instead of returning an error we can recover from.
    signal(SIGPIPE, SIG_IGN);
}

Redis::~Redis() { disconnect(); }

void Redis::disconnect() {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
}

void Redis::ensure_connected() {
    if (ctx_) return;
    timeval connect_tv{connect_timeout_ms_ / 1000, (connect_timeout_ms_ % 1000) * 1000};
    timeval command_tv{command_timeout_ms_ / 1000, (command_timeout_ms_ % 1000) * 1000};
    ctx_ = endpoint_.unix_path.empty()
               ? redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, connect_tv)
               : redisConnectUnixWithTimeout(endpoint_.unix_path.c_str(), connect_tv);
    if (ctx_ && !ctx_->err) redisSetTimeout(ctx_, command_tv);
    if (!ctx_ || ctx_->err) {
        log_event(LogLevel::warn, "redis_connect_failed", {{"error", ctx_ ? ctx_->errstr : "out of memory"}});
        disconnect();
        throw RedisUnavailable();
    }
    if (endpoint_.db != 0) {
        std::string db = std::to_string(endpoint_.db);
        redisReply* r = send({"SELECT", db});
        bool ok = r && r->type == REDIS_REPLY_STATUS;
        if (r) freeReplyObject(r);
        if (!ok) {
            disconnect();
            throw RedisUnavailable();
        }
    }
}

namespace {
// The command in Redis's wire format (RESP), written directly: hiredis's own formatter builds
// it piece by piece with a printf-like routine, a measurable cost on the guard's hot path.
void append_resp(std::string& out, const std::vector<std::string_view>& args) {
    out += '*';
    out += std::to_string(args.size());
    out += "\r\n";
    for (auto a : args) {
        out += '$';
        out += std::to_string(a.size());
        out += "\r\n";
        out.append(a);
        out += "\r\n";
    }
}
}  // namespace

redisReply* Redis::send(const std::vector<std::string_view>& args) {
    std::string wire;
    wire.reserve(64);
    for (auto a : args) wire.reserve(wire.size() + a.size() + 16);
    append_resp(wire, args);
    if (redisAppendFormattedCommand(ctx_, wire.data(), wire.size()) != REDIS_OK) return nullptr;
    void* reply = nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK) return nullptr;
    return static_cast<redisReply*>(reply);
}

RedisReply Redis::command(const std::vector<std::string_view>& args) {
    for (int attempt = 0;; ++attempt) {
        ensure_connected();
        redisReply* r = send(args);
        if (r) return RedisReply(r);
        // Only a connection found closed (EOF) is worth one retry; a timeout means the server is stuck.
        bool dropped = ctx_->err == REDIS_ERR_EOF || (ctx_->err == REDIS_ERR_IO && errno != EAGAIN);
        log_event(LogLevel::warn, "redis_command_failed", {{"error", ctx_->errstr}});
        disconnect();
        if (!dropped || attempt == 1) throw RedisUnavailable();
    }
}

std::vector<RedisReply> Redis::pipeline(const std::vector<std::vector<std::string>>& commands) {
    for (int attempt = 0;; ++attempt) {
        ensure_connected();
        for (const auto& args : commands) {
            std::vector<const char*> argv;
            std::vector<size_t> lens;
            for (const auto& a : args) {
                argv.push_back(a.data());
                lens.push_back(a.size());
            }
            redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), argv.data(), lens.data());
        }
        std::vector<RedisReply> replies;
        replies.reserve(commands.size());
        bool failed = false;
        for (size_t i = 0; i < commands.size() && !failed; ++i) {
            void* r = nullptr;
            if (redisGetReply(ctx_, &r) != REDIS_OK || !r) failed = true;
            else replies.emplace_back(static_cast<redisReply*>(r));
        }
        if (!failed) return replies;
        bool dropped = ctx_->err == REDIS_ERR_EOF || (ctx_->err == REDIS_ERR_IO && errno != EAGAIN);
        log_event(LogLevel::warn, "redis_command_failed", {{"error", ctx_->errstr}});
        disconnect();
        if (!dropped || attempt == 1) throw RedisUnavailable();
    }
}

RedisScript::RedisScript(std::string_view text_) : text(text_), sha(to_hex(sha1(text_))) {}

RedisReply Redis::eval(const RedisScript& script, const std::vector<std::string_view>& keys,
                       const std::vector<std::string_view>& args) {
    const std::string& sha = script.sha;
    const std::string key_count = std::to_string(keys.size());
    std::vector<std::string_view> argv = {"EVALSHA", sha, key_count};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    RedisReply r = command(argv);
    if (!r.is_error() || r.str().rfind("NOSCRIPT", 0) != 0) return r;
    RedisReply loaded = command({"SCRIPT", "LOAD", script.text});
    if (!loaded.is_string() || loaded.str() != sha) throw RedisUnavailable();
    return command(argv);
}

RedisSettings RedisSettings::read(SettingsReader& r) {
    RedisSettings s;
    const std::string url = r.text("REDIS_URL");
    auto ep = parse_redis_url(url);
    if (!ep && !r.describing_only()) throw ConfigError("REDIS_URL is not redis://host:port/db or unix:///path");
    if (ep) s.endpoint = *ep;
    s.timeout_ms = static_cast<int>(r.integer("REDIS_TIMEOUT_MS", 500, 10, 60000));
    return s;
}

namespace {
std::optional<Redis> g_redis;
}

void configure_redis(const RedisSettings& s) { g_redis.emplace(s.endpoint, s.timeout_ms, s.timeout_ms); }

Redis& redis() {
    if (!g_redis) throw std::logic_error("redis() before configure_redis()");
    return *g_redis;
}

}  // namespace pnptv
