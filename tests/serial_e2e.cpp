// The pages in a real browser (headless Chromium over WebDriver) against the real stack: login,
// the 18+ gate, the hub's profile, feed and PRIME checkout, logout; at desktop and phone width,
// in English and Spanish. Screenshots of each page (and of any failure) under the artifacts
// folder. Serial: it runs a stack of its own.
#define BOOST_TEST_MODULE serial_e2e
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "e2e.hpp"

using testing::Browser;
using testing::E2eStack;

namespace {

E2eStack& stack() {
    static E2eStack s;
    return s;
}

// A screenshot when a test case fails, named after it.
struct ShotOnFailure {
    Browser& browser;
    std::string name;
    ~ShotOnFailure() {
        auto& results = boost::unit_test::results_collector.results(boost::unit_test::framework::current_test_case().p_id);
        if (!results.passed()) testing::save_screenshot(browser, "FAILED-" + name);
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_new_visitor_logs_in_confirms_age_and_sees_the_hub) {
    Browser browser;
    ShotOnFailure shot{browser, "login"};
    const long long tg = testing::unique_number();
    testing::log_in(browser, stack(), tg, "Valentina");
    // 18+ first: nothing of the hub until the person confirms, on the bot's own record.
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#age-confirm')"));
    BOOST_TEST(browser.run("return document.querySelector('main').hidden").get<bool>());
    BOOST_TEST(stack().sql("SELECT age_verified_at IS NULL FROM users WHERE telegram_id = " + std::to_string(tg)) == "t");
    testing::save_screenshot(browser, "age-gate-desktop");
    testing::pass_age_gate(browser);
    BOOST_TEST(stack().sql("SELECT age_verified_at IS NOT NULL FROM users WHERE telegram_id = " + std::to_string(tg)) == "t");
    BOOST_TEST(browser.wait_until("document.querySelector('#me-name').textContent === 'Valentina'"));
    BOOST_TEST(browser.text("#me-status") == "Free member");
    testing::save_screenshot(browser, "hub-desktop");
    BOOST_TEST(browser.page_errors() == "");
}
