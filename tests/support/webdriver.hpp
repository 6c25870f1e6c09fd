// webdriver.hpp — a headless Chromium driven over the W3C WebDriver protocol (Debian's chromium
// and chromium-driver), for the end-to-end tests: the pages as a person uses them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "http.hpp"

namespace testing {

// Whether Debian's chromium and chromedriver are installed (the e2e suite needs both).
bool browser_available();

class Browser {
public:
    // Starts chromedriver on a free port and one headless Chromium session at width × height.
    Browser(int width = 1280, int height = 900);
    ~Browser();
    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    void go(const std::string& url);
    std::string url();
    void resize(int width, int height);
    // Runs `script` (a function body; arguments as `arguments[i]`) in the page; its return value.
    pnptv::Json run(const std::string& script, const pnptv::Json& args = pnptv::Json::array());
    // Polls a JavaScript expression until it is truthy; whether it became so within `seconds`.
    bool wait_until(const std::string& expression, double seconds = 10);
    // The first element matching a CSS selector (an element reference), or nullopt.
    std::optional<std::string> find(const std::string& css);
    void click(const std::string& css);
    void type(const std::string& css, const std::string& text);  // a file input takes a path
    std::string text(const std::string& css);
    // Into the iframe matching `css`, or back to the top page (empty).
    void frame(const std::string& css);
    // A PNG of the viewport, written to `path`.
    void screenshot(const std::string& path);
    // What went wrong in the pages since the last call, one per line: Content-Security-Policy
    // violations and uncaught script errors (not failed loads: a 401 a page expects, a widget
    // from a network the tests don't reach). Empty when nothing did.
    std::string page_errors();

private:
    pnptv::Json call(const std::string& method, const std::string& path, const pnptv::Json& body = nullptr);
    std::string element(const std::string& css);
    int port_ = 0;
    int driver_pid_ = 0;
    std::string session_;
};

}  // namespace testing
