#include "testing.hpp"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <boost/test/unit_test.hpp>

#include "authz.hpp"
#include "cookies.hpp"
#include "crypto.hpp"
#include "pg.hpp"
#include "redis.hpp"
#include "runtime.hpp"
#include "session.hpp"
#include "telegram_auth.hpp"
#include "text.hpp"
#include "urlencoded.hpp"

namespace testing {

std::string repo_dir() {
    const char* r = std::getenv("PNPTV_REPO");
    return r ? r : std::filesystem::current_path().string();
}

TestUser make_user(const pnptv::SessionSettings& session, const std::string& first_name, const std::string& role,
                   const std::string& tier) {
    TestUser u;
    u.telegram_id = 7'000'000'000LL + unique_number() % 1'000'000'000LL;
    u.id = pnptv::db().exec("INSERT INTO users (telegram_id, first_name, role, tier, age_verified_at) VALUES ($1, $2, $3, $4, now()) "
                            "RETURNING id",
                            {u.telegram_id, first_name, role, tier}).get_int(0, "id");
    pnptv::project_users_now({u.id});
    pnptv::SessionUser su;
    su.id = u.id;
    su.telegram_id = u.telegram_id;
    su.first_name = first_name;
    const std::string sid = pnptv::create_session(session, su);
    u.cookie = "connect.sid=" + pnptv::session_cookie_value(sid, session.secrets.front().reveal());
    return u;
}

pnptv::Pairs image_values() {
    const char* build = std::getenv("BUILD");
    std::string bin = std::string(build ? build : "build");
    if (bin.front() != '/') bin = repo_dir() + "/" + bin;
    return {{"UPLOADS_DIR", temp_dir() + "/uploads"}, {"IMAGE_CONVERTER", bin + "/bin/image-convert"}};
}

std::vector<std::string> files_under(const std::string& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec))
        if (it->is_regular_file()) out.push_back(std::filesystem::relative(it->path(), dir).string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string fixture(const std::string& name) {
    std::ifstream in(repo_dir() + "/tests/fixtures/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("no fixture " + name);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<int> in_parallel(int n, const std::function<int(int)>& body) {
    pnptv::db().disconnect();  // a child must not share the parent's sockets
    pnptv::redis().disconnect();
    int gate[2];
    if (pipe(gate) != 0) throw std::runtime_error("pipe failed");
    std::vector<pid_t> children;
    for (int i = 0; i < n; ++i) {
        pid_t pid = fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
            close(gate[1]);
            char c;
            if (read(gate[0], &c, 1) < 0) _exit(101);  // returns 0 at EOF: everyone goes at once
            int status = 100;
            try {
                status = body(i);
            } catch (...) {
            }
            _exit(status);
        }
        children.push_back(pid);
    }
    close(gate[0]);
    close(gate[1]);  // EOF for all of them at the same moment
    std::vector<int> statuses;
    for (pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        statuses.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
    return statuses;
}

std::string temp_dir() {
    const char* base = std::getenv("PNPTV_TEST_TMP");
    std::string dir = std::string(base ? base : "/tmp") + "/t-" + pnptv::to_hex(pnptv::random_bytes(6));
    std::filesystem::create_directories(dir);
    return dir;
}

namespace {
std::string environment(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

// db() and redis() on the run's stores, and the run's LOG_LEVEL, before any test case.
struct RunStores {
    RunStores() {
        pnptv::init_logging("test", settings<pnptv::LogSettings>({{"LOG_LEVEL", environment("LOG_LEVEL")}}).level);
        pnptv::configure_connections(settings<pnptv::StoreSettings>());
    }
};
BOOST_TEST_GLOBAL_FIXTURE(RunStores);
}  // namespace

pnptv::SettingsReader settings_reader(const pnptv::Pairs& values) {
    pnptv::Pairs all = {{"DATABASE_URL", environment("DATABASE_URL")}, {"REDIS_URL", environment("REDIS_URL")}};
    all.insert(all.end(), values.begin(), values.end());  // the last value of a name wins
    return pnptv::SettingsReader(std::move(all));
}

pnptv::Request make_request(std::string method, std::string uri, std::string body, pnptv::Pairs headers) {
    pnptv::Request r;
    r.method = std::move(method);
    size_t q = uri.find('?');
    r.path = uri.substr(0, q);
    if (q != std::string::npos) r.query_string = uri.substr(q + 1);
    if (auto parsed = pnptv::parse_urlencoded(r.query_string)) r.query = *parsed;
    else r.query_malformed = true;
    for (auto& [k, v] : headers) r.headers.emplace_back(pnptv::to_lower(k), v);
    if (auto c = r.header("cookie")) r.cookies = pnptv::parse_cookie_header(*c);
    r.body = std::move(body);
    r.remote_addr = "127.0.0.1";
    r.request_id = "test";
    return r;
}

pnptv::Json body_json(const pnptv::Response& r) {
    return pnptv::Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
}

std::string shell_quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string shell_assignments(const pnptv::Pairs& pairs) {
    std::string out;
    for (const auto& [name, value] : pairs) out += name + "=" + shell_quoted(value) + " ";
    return out;
}

ShellResult shell(const std::string& script) {
    std::string dir = temp_dir();
    std::string file = dir + "/script.sh";
    FILE* f = std::fopen(file.c_str(), "w");
    if (!f) throw std::runtime_error("cannot write " + file);
    std::string text = "set -euo pipefail\ncd '" + repo_dir() + "'\nsource scripts/lib/services.sh\n" + script + "\n";
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    FILE* p = popen(("bash '" + file + "' 2>&1").c_str(), "r");
    if (!p) throw std::runtime_error("popen failed");
    ShellResult result{0, {}};
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) result.output.append(buf.data(), n);
    int rc = pclose(p);
    result.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    return result;
}

bool wait_for(const std::function<bool()>& condition, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        usleep(20000);
    }
}

WrkLoad read_wrk_load(const std::string& output) {
    WrkLoad load;
    size_t at = 0;
    while ((at = output.find("status ", at)) != std::string::npos) {
        size_t end = output.find('\n', at);
        std::string line = output.substr(at + 7, end - at - 7);
        (line.rfind("200 ", 0) == 0 ? load.ok : load.other) += std::stoll(line.substr(line.find(' ') + 1));
        at = end;
    }
    if (size_t e = output.find("errors "); e != std::string::npos) load.errors = output.substr(e, output.find('\n', e) - e);
    return load;
}

bool full_system_tests() {
    const char* full = std::getenv("PNPTV_TEST_FULL");
    return full && std::string_view(full) == "1";
}

long long unique_number() {
    long long v = 0;
    for (char c : pnptv::random_bytes(5)) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
}

std::string last_line(const std::string& output) {
    std::string_view s = pnptv::trim(output);
    size_t nl = s.rfind('\n');
    return std::string(nl == std::string_view::npos ? s : s.substr(nl + 1));
}

std::string start_fake_api() {
    std::string dir = temp_dir();
    auto r = shell("/usr/bin/python3 tests/fakes/fake_bot_api.py '" + dir + "/port' >'" + dir + "/fake.log' 2>&1 &\n"
                   "for i in $(seq 100); do [ -f '" + dir + "/port' ] && break; sleep 0.05; done; cat '" + dir + "/port'");
    if (r.status != 0) throw std::runtime_error("fake API did not start: " + r.output);
    return "http://127.0.0.1:" + last_line(r.output);
}

pnptv::Pairs signed_widget_fields(const std::string& bot_token, long long telegram_id, const std::string& first_name,
                                  const std::string& username, long long auth_date) {
    pnptv::Pairs f = {{"id", std::to_string(telegram_id)}, {"first_name", first_name}, {"username", username},
                      {"auth_date", std::to_string(auth_date)}};
    f.emplace_back("hash", pnptv::to_hex(pnptv::hmac_sha256(pnptv::sha256(bot_token), pnptv::data_check_string(f))));
    return f;
}

pnptv::Json widget_json(const pnptv::Pairs& fields) {
    pnptv::Json j = pnptv::Json::object();
    for (auto& [k, v] : fields) j[k] = (k == "id" || k == "auth_date") ? pnptv::Json(std::stoll(v)) : pnptv::Json(v);
    return j;
}

int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

namespace {
size_t on_body(char* data, size_t size, size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}
size_t on_header(char* data, size_t size, size_t n, void* out) {
    std::string_view line(data, size * n);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos)
        static_cast<pnptv::Pairs*>(out)->emplace_back(pnptv::to_lower(pnptv::trim(line.substr(0, colon))),
                                                      std::string(pnptv::trim(line.substr(colon + 1))));
    return size * n;
}
}  // namespace

HttpResult http(const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& headers, long timeout_ms, const std::string& ca_file) {
    HttpResult result;
    CURL* c = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &result.headers);
    auto t0 = std::chrono::steady_clock::now();
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &result.status);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return result;
}

HttpResult widget_login(const std::string& base, long long telegram_id, const std::string& first_name,
                        const std::vector<std::string>& headers, const std::string& ca_file) {
    auto state = http("GET", base + "/api/webapp/auth/telegram/state", {}, headers, 15000, ca_file);
    if (state.status != 200) return state;
    std::string state_cookie = state.header("set-cookie").value_or("");
    state_cookie = state_cookie.substr(0, state_cookie.find(';'));
    const std::string value = body_json({200, {}, {}, state.body})["state"];
    const auto fields = signed_widget_fields(local_bot_token, telegram_id, first_name, "u" + std::to_string(telegram_id), std::time(nullptr));
    std::vector<std::string> login_headers = headers;
    login_headers.push_back("Content-Type: application/json");
    login_headers.push_back("Cookie: " + state_cookie);
    return http("POST", base + "/api/webapp/auth/telegram?state=" + value, widget_json(fields).dump(), login_headers, 15000, ca_file);
}

std::string session_cookie(const HttpResult& login) {
    for (const auto& [name, value] : login.headers)
        if (name == "set-cookie" && value.rfind("connect.sid=", 0) == 0) return value.substr(0, value.find(';'));
    return {};
}

}  // namespace testing
