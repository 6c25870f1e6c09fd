#include "e2e.hpp"

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <stdexcept>

namespace testing {

pnptv::Json signed_login(long long telegram_id, const std::string& first_name) {
    return widget_json(signed_widget_fields(local_bot_token, telegram_id, first_name, "e2e" + std::to_string(telegram_id), std::time(nullptr)));
}

long long log_in(Browser& browser, const Stack& stack, long long telegram_id, const std::string& first_name,
                 const std::string& page) {
    auto prepared = http("POST", stack.fake + "/__oauth_login", signed_login(telegram_id, first_name).dump());
    if (prepared.status != 200) throw std::runtime_error("the fake OAuth page did not take the login");
    browser.go(stack.url(page));
    if (!browser.wait_until("location.pathname === '/auth/' && document.querySelector('#telegram-login').href.includes('redirect=')"))
        throw std::runtime_error("not sent to the login page: " + browser.url());
    browser.click("#telegram-login");
    if (!browser.wait_until("location.pathname === " + pnptv::Json(page.substr(0, page.find('?'))).dump(), 15))
        throw std::runtime_error("not back on " + page + " after logging in: " + browser.url());
    return std::stoll(stack.sql("SELECT id FROM users WHERE telegram_id = " + std::to_string(telegram_id) + " AND deleted_at IS NULL"));
}

void pass_age_gate(Browser& browser) {
    browser.wait_until("document.querySelector('#age-confirm') || (document.querySelector('main') && !document.querySelector('main').hidden)");
    if (browser.find("#age-confirm")) browser.click("#age-confirm");
    if (!browser.wait_until("document.querySelector('main') && !document.querySelector('main').hidden && !document.querySelector('.gate')"))
        throw std::runtime_error("the page did not open after the 18+ gate: " + browser.url());
}

std::string accessibility_problems(Browser& browser) {
    return browser.run(R"js(
const problems = [];
const visible = (el) => el.offsetParent !== null || el.type === 'file';
const named = (el) => (el.getAttribute('aria-label') || '').trim() || (el.id && document.querySelector('label[for="' + el.id + '"]')) ||
                      el.closest('label') || (el.getAttribute('aria-labelledby') || '').trim();
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  if (visible(el) && !named(el)) problems.push('unlabelled ' + el.outerHTML.slice(0, 120));
for (const el of document.querySelectorAll('img'))
  if (!el.hasAttribute('alt')) problems.push('no alt: ' + el.outerHTML.slice(0, 120));
for (const el of document.querySelectorAll('button, a[href]'))
  if (visible(el) && !(el.textContent.trim() || el.getAttribute('aria-label') || el.querySelector('img[alt]:not([alt=""])')))
    problems.push('nameless ' + el.outerHTML.slice(0, 120));
if (!document.documentElement.lang) problems.push('no lang on <html>');
if (!document.querySelector('h1')) problems.push('no <h1>');
return problems.join('\n');
)js").get<std::string>();
}

ShotOnFailure::~ShotOnFailure() {
    const auto& results = boost::unit_test::results_collector.results(boost::unit_test::framework::current_test_case().p_id);
    if (!results.passed()) save_screenshot(browser, "FAILED-" + name);
}

std::string save_screenshot(Browser& browser, const std::string& name) {
    const char* configured = std::getenv("PNPTV_E2E_ARTIFACTS");
    const char* build = std::getenv("BUILD");
    std::filesystem::path dir = configured ? configured : repo_dir() + "/" + (build ? build : "build") + "/e2e-artifacts";
    std::filesystem::create_directories(dir);
    std::string path = (dir / (name + ".png")).string();
    browser.screenshot(path);
    return path;
}

}  // namespace testing
