#include "webdriver.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "crypto.hpp"
#include "testing.hpp"

extern char** environ;

namespace testing {

namespace {

constexpr const char* chromium = "/usr/bin/chromium";
constexpr const char* chromedriver = "/usr/bin/chromedriver";
// The W3C name of an element reference in the protocol's JSON.
constexpr const char* element_key = "element-6066-11e4-a52e-4f735466cecf";

}  // namespace

bool browser_available() { return access(chromium, X_OK) == 0 && access(chromedriver, X_OK) == 0; }

Browser::Browser(int width, int height) {
    port_ = free_port();
    std::string port_arg = "--port=" + std::to_string(port_);
    char* argv[] = {const_cast<char*>(chromedriver), port_arg.data(), nullptr};
    pid_t pid = 0;
    posix_spawn_file_actions_t quiet;  // its banner is no test output
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawn(&pid, chromedriver, &quiet, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (spawned != 0) throw std::runtime_error("can't start chromedriver");
    driver_pid_ = pid;
    const std::string status = "http://127.0.0.1:" + std::to_string(port_) + "/status";
    if (!wait_for([&] { return http("GET", status).status == 200; }, 10)) throw std::runtime_error("chromedriver did not start");
    pnptv::Json options = {{"binary", chromium},
                           {"args", {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                     "--no-first-run", "--lang=en-US", "--window-size=" + std::to_string(width) + "," + std::to_string(height)}}};
    pnptv::Json caps = {{"capabilities", {{"alwaysMatch", {{"browserName", "chrome"}, {"goog:chromeOptions", options},
                                                           {"goog:loggingPrefs", {{"browser", "ALL"}}}}}}}};
    session_ = call("POST", "/session", caps)["sessionId"].get<std::string>();
    resize(width, height);
}

Browser::~Browser() {
    try {
        if (!session_.empty()) call("DELETE", "/session/" + session_);
    } catch (...) {
    }
    if (driver_pid_ > 0) {
        kill(driver_pid_, SIGTERM);
        waitpid(driver_pid_, nullptr, 0);
    }
}

pnptv::Json Browser::call(const std::string& method, const std::string& path, const pnptv::Json& body) {
    std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
    auto r = http(method, url, body.is_null() ? (method == "POST" ? "{}" : "") : body.dump(), {"Content-Type: application/json"}, 60000);
    pnptv::Json j = pnptv::Json::parse(r.body, nullptr, false);
    if (r.status != 200 || !j.is_object() || !j.contains("value"))
        throw std::runtime_error("webdriver " + method + " " + path + ": " + std::to_string(r.status) + " " + r.body.substr(0, 500));
    return j["value"];
}

void Browser::go(const std::string& url) { call("POST", "/session/" + session_ + "/url", {{"url", url}}); }

std::string Browser::url() { return call("GET", "/session/" + session_ + "/url").get<std::string>(); }

void Browser::resize(int width, int height) {
    call("POST", "/session/" + session_ + "/window/rect", {{"width", width}, {"height", height}});
}

pnptv::Json Browser::run(const std::string& script, const pnptv::Json& args) {
    return call("POST", "/session/" + session_ + "/execute/sync", {{"script", script}, {"args", args}});
}

bool Browser::wait_until(const std::string& expression, double seconds) {
    const std::string script = "try { return !!(" + expression + "); } catch (e) { return false; }";
    return wait_for([&] { return run(script).get<bool>(); }, seconds);
}

std::optional<std::string> Browser::find(const std::string& css) {
    auto found = call("POST", "/session/" + session_ + "/elements", {{"using", "css selector"}, {"value", css}});
    if (!found.is_array() || found.empty()) return std::nullopt;
    return found[0][element_key].get<std::string>();
}

std::string Browser::element(const std::string& css) {
    std::optional<std::string> e;
    if (!wait_for([&] { return (e = find(css)).has_value(); }, 10)) throw std::runtime_error("no element " + css + " on " + url());
    return *e;
}

void Browser::click(const std::string& css) { call("POST", "/session/" + session_ + "/element/" + element(css) + "/click"); }

void Browser::type(const std::string& css, const std::string& text) {
    call("POST", "/session/" + session_ + "/element/" + element(css) + "/value", {{"text", text}});
}

std::string Browser::text(const std::string& css) {
    return call("GET", "/session/" + session_ + "/element/" + element(css) + "/text").get<std::string>();
}

void Browser::frame(const std::string& css) {
    if (css.empty()) {
        call("POST", "/session/" + session_ + "/frame", {{"id", nullptr}});
        return;
    }
    call("POST", "/session/" + session_ + "/frame", {{"id", {{element_key, element(css)}}}});
}

void Browser::screenshot(const std::string& path) {
    std::string png = pnptv::base64_decode(call("GET", "/session/" + session_ + "/screenshot").get<std::string>()).value_or("");
    std::ofstream(path, std::ios::binary) << png;
}

std::string Browser::page_errors() {
    std::string out;
    for (const auto& entry : call("POST", "/session/" + session_ + "/se/log", {{"type", "browser"}})) {
        const std::string message = entry.value("message", "");
        if (entry.value("level", "") == "SEVERE" && message.find("Failed to load resource") == std::string::npos)
            out += message + "\n";
    }
    return out;
}

}  // namespace testing
