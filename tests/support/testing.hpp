// testing.hpp — what the test suites share: requests built without a socket, a small HTTP client
// for tests that go through nginx, and shell helpers to start private services.
//
// tests/run starts one PostgreSQL and one Redis for the whole run and exports DATABASE_URL,
// REDIS_URL, PNPTV_REPO and PNPTV_TEST_TMP; tests that break a service start their own. Every
// test binary starts with db() and redis() pointed at the run's two (a global fixture); code
// under test gets its settings as a value built by settings<S>(), never through the environment.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http.hpp"
#include "session.hpp"
#include "settings.hpp"

namespace testing {

// The run's DATABASE_URL and REDIS_URL with `values` on top: what a test hands to S::read.
pnptv::SettingsReader settings_reader(const pnptv::Pairs& values = {});

// A function's Settings as its start-up would read them from exactly these values (and the run's
// stores). A test changes a setting by building another value, not by touching the environment.
template <class S>
S settings(const pnptv::Pairs& values = {}) {
    auto reader = settings_reader(values);
    return S::read(reader);
}

std::string repo_dir();
std::string temp_dir();  // a fresh folder under PNPTV_TEST_TMP, removed with the run

// A Request as the runtime would build it (query and cookies parsed from the raw strings).
pnptv::Request make_request(std::string method, std::string uri, std::string body = {},
                            pnptv::Pairs headers = {});

pnptv::Json body_json(const pnptv::Response& r);  // parsed body, null when it isn't JSON

struct ShellResult {
    int status;
    std::string output;  // stdout and stderr together
};
// `s` as one shell word.
std::string shell_quoted(const std::string& s);
// `pairs` as shell words ("NAME='value' …"), for starting a real binary with a test's settings.
std::string shell_assignments(const pnptv::Pairs& pairs);

// Runs a bash script with scripts/lib/services.sh sourced, in the repo folder.
ShellResult shell(const std::string& script);

int free_port();

// The last line of a command's output, without trailing newlines or spaces.
std::string last_line(const std::string& output);

// Starts tests/fakes/fake_bot_api.py (Bot API and ePayco stand-in) in its own folder; returns
// its base URL. It is stopped with the rest of the run's processes.
std::string start_fake_api();

// Polls `condition` (every 20 ms) until it holds or `seconds` pass; returns whether it held.
// For effects another process produces asynchronously: a test waits for the state, not a time.
bool wait_for(const std::function<bool()>& condition, double seconds = 10);

// A random positive number (40 bits) for ids no other test uses (telegram ids, update ids, refs).
long long unique_number();

// What wrk reported through scripts/bench/statuses.lua: answers with status 200, any other, and
// its error line ("errors connect=0 read=0 write=0 timeout=0").
struct WrkLoad {
    long long ok = 0, other = 0;
    std::string errors;
};
WrkLoad read_wrk_load(const std::string& output);

// The long versions of the system tests (deploy under load, the network-namespace hosts, the
// fault tests): PNPTV_TEST_FULL=1, which `make test-system` sets. `make test` runs the short ones.
bool full_system_tests();
// `short_value` under make test, `full_value` under make test-system.
template <class T>
T short_or_full(T short_value, T full_value) { return full_system_tests() ? full_value : short_value; }

// A person who can call the API: a users row (and the guard's record of it, as a login writes)
// and a session cookie signed with the first of `session`'s secrets.
struct TestUser {
    long long id = 0;
    long long telegram_id = 0;
    std::string cookie;  // "connect.sid=…", for a Cookie header
};
TestUser make_user(const pnptv::SessionSettings& session, const std::string& first_name = "Tester", const std::string& role = "user",
                   const std::string& tier = "free");

// The Telegram login widget's fields for a person (id, first_name, username, auth_date), with the
// hash Telegram computes from `bot_token`; and the same fields as the widget's JavaScript hands them
// over, id and auth_date as numbers.
pnptv::Pairs signed_widget_fields(const std::string& bot_token, long long telegram_id, const std::string& first_name,
                                  const std::string& username, long long auth_date);
pnptv::Json widget_json(const pnptv::Pairs& fields);

// Settings values for code that stores uploads: a fresh uploads folder and this build's
// image-convert ($BUILD/bin).
pnptv::Pairs image_values();
// The files under a folder (recursively, relative paths, sorted): what a test compares before
// and after to see nothing was stored or left.
std::vector<std::string> files_under(const std::string& dir);
// A file of tests/fixtures.
std::string fixture(const std::string& name);

// Runs body(0) … body(n-1) in n processes at once (forked, each with its own PostgreSQL and Redis
// connections, released together by one gate); returns each one's exit status (body's result,
// 100 for an exception).
std::vector<int> in_parallel(int n, const std::function<int(int)>& body);

struct HttpResult {
    long status = 0;  // 0: no answer
    pnptv::Pairs headers;  // lower-case names
    std::string body;
    double seconds = 0;
    std::optional<std::string> header(std::string_view lower_name) const { return pnptv::find_value(headers, lower_name); }
};
// An https URL is checked against `ca_file` when one is given (a test's own certificate), else
// against the system's authorities.
HttpResult http(const std::string& method, const std::string& url, const std::string& body = {},
                const std::vector<std::string>& headers = {}, long timeout_ms = 5000, const std::string& ca_file = {});

// env.example's TELEGRAM_BOT_TOKEN, which the stacks the tests start run with.
inline const std::string local_bot_token = "123456:TEST-TOKEN-abc";
// A Telegram login through the nginx at `base` as the login widget's JavaScript makes it: a login
// state and its cookie, then the fields signed with local_bot_token; `headers` go with both
// requests. The login's answer (session_cookie reads its cookie).
HttpResult widget_login(const std::string& base, long long telegram_id, const std::string& first_name,
                        const std::vector<std::string>& headers = {}, const std::string& ca_file = {});
// "connect.sid=…" from a login's answer, for a Cookie header ("" when it set none).
std::string session_cookie(const HttpResult& login);

}  // namespace testing
