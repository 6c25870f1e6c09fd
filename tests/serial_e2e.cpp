// The pages in a real browser (headless Chromium over WebDriver) against the real stack: login,
// the 18+ gate, the hub's profile, feed and PRIME checkout, logout; at desktop and phone width,
// in English and Spanish. Screenshots of each page (and of any failure) under the artifacts
// folder. Serial: it runs a stack of its own.
#define BOOST_TEST_MODULE serial_e2e
#include <boost/test/unit_test.hpp>

#include <ctime>

#include "crypto.hpp"
#include "e2e.hpp"
#include "epayco.hpp"
#include "payment_link.hpp"
#include "telegram_auth.hpp"
#include "urlencoded.hpp"

using testing::Browser;
using testing::Stack;

namespace {

Stack& stack() {
    static Stack s;
    return s;
}

std::string tg_text(long long telegram_id) { return std::to_string(telegram_id); }

// A signed-in, 18+ visitor on the hub.
long long visitor_on_the_hub(Browser& browser, long long telegram_id, const std::string& name) {
    long long id = testing::log_in(browser, stack(), telegram_id, name);
    testing::pass_age_gate(browser);
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#me-name').textContent === " + pnptv::Json(name).dump()));
    return id;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_new_visitor_logs_in_confirms_age_and_sees_the_hub) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "login"};
    const long long tg = testing::unique_number();
    testing::log_in(browser, stack(), tg, "Valentina");
    // 18+ first: nothing of the hub until the person confirms, on the bot's own record.
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#age-confirm')"));
    BOOST_TEST(browser.run("return document.querySelector('main').hidden").get<bool>());
    BOOST_TEST(stack().sql("SELECT age_verified_at IS NULL FROM users WHERE telegram_id = " + std::to_string(tg)) == "t");
    testing::save_screenshot(browser, "age-gate-desktop");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    testing::pass_age_gate(browser);
    BOOST_TEST(stack().sql("SELECT age_verified_at IS NOT NULL FROM users WHERE telegram_id = " + std::to_string(tg)) == "t");
    BOOST_TEST(browser.wait_until("document.querySelector('#me-name').textContent === 'Valentina'"));
    BOOST_TEST(browser.text("#me-status") == "Free member");
    testing::save_screenshot(browser, "hub-desktop");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(a_post_with_a_picture_appears_in_the_feed_and_takes_likes_and_comments) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "post"};
    visitor_on_the_hub(browser, testing::unique_number(), "Camila");
    const std::string text = "Hola from the e2e test " + std::to_string(testing::unique_number());
    browser.type("#post-body", text);
    browser.type("#post-image", testing::repo_dir() + "/tests/fixtures/photo.png");
    browser.click("#post-form button[type=submit]");
    const std::string first = "document.querySelector('#feed li.post')";
    BOOST_TEST_REQUIRE(browser.wait_until(first + ".querySelector('.body').textContent === " + pnptv::Json(text).dump()));
    // The picture is the WebP rendition the API made, and it loads.
    BOOST_TEST(browser.wait_until(first + ".querySelector('img.picture').naturalWidth > 0"));
    BOOST_TEST(browser.run("return " + first + ".querySelector('img.picture').src").get<std::string>().find("/uploads/") != std::string::npos);
    // After a reload it comes from the feed API.
    browser.go(stack().url("/hub/"));
    BOOST_TEST_REQUIRE(browser.wait_until(first + " && " + first + ".querySelector('.body').textContent === " + pnptv::Json(text).dump()));
    browser.click("#feed li.post .like");
    BOOST_TEST(browser.wait_until(first + ".querySelector('.like').getAttribute('aria-pressed') === 'true'"));
    BOOST_TEST(browser.text("#feed li.post .like") == "\u2665 1");
    browser.click("#feed li.post details.thread summary");
    browser.type("#feed li.post details.thread input", "Qué bien");
    browser.click("#feed li.post details.thread button");
    BOOST_TEST(browser.wait_until(first + ".querySelector('.comments li p').textContent === 'Qué bien'"));
    BOOST_TEST(stack().sql("SELECT count(*) FROM post_comments c JOIN social_posts p ON p.id = c.post_id WHERE p.body = '" + text + "'") == "1");
    // Bad input is answered in words and loses nothing: a text file as the picture.
    browser.type("#post-body", "with a bad picture");
    browser.type("#post-image", testing::repo_dir() + "/README.md");
    browser.click("#post-form button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector('#post-status').classList.contains('error')"));
    BOOST_TEST(browser.run("return document.querySelector('#post-body').value").get<std::string>() == "with a bad picture");
    BOOST_TEST(stack().sql("SELECT count(*) FROM social_posts WHERE body = 'with a bad picture'") == "0");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(subscribing_through_the_checkout_makes_the_hub_show_prime_and_its_end) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "subscribe"};
    const long long tg = testing::unique_number();
    const long long user = visitor_on_the_hub(browser, tg, "Mateo");
    browser.click("button[data-plan='prime-monthly-usd']");
    // ePayco's checkout (the fake's page, loaded from EPAYCO_CHECKOUT_BASE) with our invoice.
    BOOST_TEST_REQUIRE(browser.wait_until("location.pathname === '/checkout-page' && document.querySelector('#invoice')", 15));
    testing::save_screenshot(browser, "fake-checkout");
    const std::string invoice = browser.text("#invoice");
    BOOST_TEST(browser.text("#extra1") == std::to_string(user));
    BOOST_TEST(browser.text("#extra2") == "prime-monthly-usd");
    const std::string record = browser.text("#extra3"), amount = browser.text("#amount");
    BOOST_TEST(amount == "10.00");
    // ePayco confirms to our webhook, signed, and its validation API says the same.
    const std::string ref = "R" + invoice, tx = "TX-" + ref;
    pnptv::Json data = {{"x_cust_id_cliente", "12345"}, {"x_ref_payco", ref}, {"x_id_invoice", invoice}, {"x_amount", amount},
                        {"x_currency_code", "USD"}, {"x_transaction_id", tx}, {"x_cod_transaction_state", "1"},
                        {"x_extra1", std::to_string(user)}, {"x_extra2", "prime-monthly-usd"}, {"x_extra3", record},
                        {"x_signature", pnptv::epayco_signature("12345", "testkey123", ref, tx, amount, "USD")}};
    BOOST_TEST_REQUIRE(testing::http("POST", stack().fake + "/__validation", pnptv::Json({{ref, data}}).dump()).status == 200);
    // The buyer comes back first: the hub waits for the final state.
    browser.click("#return");
    BOOST_TEST_REQUIRE(browser.wait_until("location.pathname === '/hub/' && document.querySelector('#payment-state')"));
    std::string form;
    for (auto& [k, v] : data.items()) form += (form.empty() ? "" : "&") + k + "=" + pnptv::percent_encode(v.get<std::string>());
    auto confirmed = testing::http("POST", stack().url("/api/webhook/epayco"), form, {"Content-Type: application/x-www-form-urlencoded"});
    BOOST_TEST(confirmed.status == 200);
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#payment-state').dataset.state === 'approved'", 20));
    const std::string ends = stack().sql("SELECT to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM subscriptions "
                                         "WHERE user_id = " + std::to_string(user) + " AND status = 'active'");
    BOOST_TEST_REQUIRE(ends.size() == 10u);
    BOOST_TEST(browser.wait_until("document.querySelector('#me-status').classList.contains('prime')"));
    // "PRIME until <the end date, in words>", and no plans to buy any more.
    const std::string status = browser.text("#me-status");
    const std::string year = ends.substr(0, 4);
    BOOST_TEST(status.rfind("PRIME until ", 0) == 0u, status);
    BOOST_TEST(status.find(year) != std::string::npos, status);
    BOOST_TEST(browser.run("return document.querySelector('#plans').hidden").get<bool>());
    testing::save_screenshot(browser, "hub-prime-desktop");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(logout_sends_the_hub_back_to_the_login_page) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "logout"};
    visitor_on_the_hub(browser, testing::unique_number(), "Lucía");
    browser.click("#logout");
    BOOST_TEST_REQUIRE(browser.wait_until("location.pathname === '/auth/'"));
    browser.go(stack().url("/hub/"));
    BOOST_TEST(browser.wait_until("location.pathname === '/auth/' && location.search === '?redirect=%2Fhub%2F'"));
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_pages_fit_a_phone) {
    Browser browser(390, 844);
    testing::ShotOnFailure shot{browser, "phone"};
    browser.go(stack().url("/auth/"));
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#telegram-login').textContent === 'Log in with Telegram'"));
    testing::save_screenshot(browser, "auth-phone");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    visitor_on_the_hub(browser, testing::unique_number(), "Sofía");
    // Nothing wider than the screen: no sideways scrolling.
    BOOST_TEST(browser.run("return document.documentElement.scrollWidth <= window.innerWidth").get<bool>());
    testing::save_screenshot(browser, "hub-phone");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(a_spanish_speaker_reads_spanish_and_can_switch) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "spanish"};
    const long long tg = testing::unique_number();
    // Known to the bot already, in Spanish (a login keeps the saved language).
    stack().sql("INSERT INTO users (telegram_id, first_name, language) VALUES (" + tg_text(tg) + ", 'Andrés', 'es')");
    testing::log_in(browser, stack(), tg, "Andrés");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#age-confirm')"));
    BOOST_TEST(browser.text("#age-confirm") == "Tengo 18 años o más");
    testing::pass_age_gate(browser);
    BOOST_TEST(browser.wait_until("document.querySelector('#compose-title').textContent === 'Comparte algo'"));
    BOOST_TEST(browser.run("return document.documentElement.lang").get<std::string>() == "es");
    testing::save_screenshot(browser, "hub-desktop-es");
    // Switched to English: kept in the account, so the bot speaks it too.
    browser.run("const s = document.querySelector('#language'); s.value = 'en'; s.dispatchEvent(new Event('change'));");
    BOOST_TEST(browser.wait_until("document.querySelector('#compose-title') && document.querySelector('#compose-title').textContent === 'Share something'"));
    BOOST_TEST(stack().sql("SELECT language FROM users WHERE telegram_id = " + tg_text(tg)) == "en");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_same_request_from_another_origin_is_refused) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "csrf"};
    visitor_on_the_hub(browser, testing::unique_number(), "Diego");
    // The page's own post passes the Origin check (the feed test); the same one from a page of
    // another origin — same site, so the Lax cookie rides along — is refused and stores nothing.
    // A form post needs no permission from us (no CORS preflight): the realistic forgery.
    const std::string body = "forged " + std::to_string(testing::unique_number());
    browser.go(stack().fake + "/checkout-page?invoice=x");
    const std::string refused = "grep -c '\"method\":\"POST\",\"uri\":\"/api/webapp/social/posts\",\"status\":403' "
                                "\"$STACK_RUN_DIR/nginx/access.log\" || true";
    const std::string before = stack().sh(refused).output;
    browser.run("const form = new FormData(); form.append('body', arguments[1]);"
                "return fetch(arguments[0], {method: 'POST', mode: 'no-cors', credentials: 'include', body: form}).then(() => 'sent');",
                {stack().url("/api/webapp/social/posts"), body});
    BOOST_TEST(testing::wait_for([&] { return stack().sh(refused).output != before; }, 5), stack().sh(refused).output);
    BOOST_TEST(stack().sql("SELECT count(*) FROM social_posts WHERE body = '" + body + "'") == "0");
}

BOOST_AUTO_TEST_CASE(the_mini_app_logs_in_inside_telegrams_cross_site_frame) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "miniapp"};
    const long long tg = testing::unique_number();
    pnptv::Pairs pairs = {{"auth_date", std::to_string(std::time(nullptr))}, {"query_id", "AAE2e"},
                          {"user", pnptv::Json({{"id", tg}, {"first_name", "Renata"}, {"language_code", "es"}}).dump()}};
    std::string init;
    for (auto& [k, v] : pairs) init += k + "=" + pnptv::percent_encode(v) + "&";
    init += "hash=" + pnptv::to_hex(pnptv::hmac_sha256(pnptv::hmac_sha256("WebAppData", "123456:TEST-TOKEN-abc"),
                                                       pnptv::data_check_string(pairs)));
    const std::string app = stack().url("/hub/#tgWebAppData=" + pnptv::percent_encode(init) + "&tgWebAppVersion=7.0&tgWebAppPlatform=weba");
    // Telegram's web client is another site (localhost, not 127.0.0.1): a SameSite=Lax cookie
    // would never reach the frame and the login would loop.
    browser.go(stack().telegram_web() + "/miniapp-host?src=" + pnptv::percent_encode(app));
    browser.frame("#app");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#age-confirm')", 15), browser.url());
    BOOST_TEST(browser.text("#age-confirm") == "Tengo 18 años o más");  // Telegram said Spanish
    testing::pass_age_gate(browser);
    BOOST_TEST(browser.wait_until("location.pathname === '/hub/' && document.querySelector('#me-name').textContent === 'Renata'"));
    testing::save_screenshot(browser, "miniapp-in-frame");
    // The frame's cookie is partitioned: the same site opened directly has no session.
    browser.frame("");
    browser.go(stack().url("/hub/"));
    BOOST_TEST(browser.wait_until("location.pathname === '/auth/'"));
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(editing_the_profile_and_its_picture) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "profile"};
    const long long user = visitor_on_the_hub(browser, testing::unique_number(), "Paula");
    browser.click("#edit-profile summary");
    browser.run("document.querySelector('#display-name').value = ''");
    browser.type("#display-name", "Paula R.");
    browser.type("#bio", "Bailarina");
    browser.click("#profile-form button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector('#me-name').textContent === 'Paula R.'"));
    BOOST_TEST(stack().sql("SELECT display_name || '|' || bio FROM users WHERE id = " + std::to_string(user)) == "Paula R.|Bailarina");
    // A name of only spaces is refused in words and changes nothing.
    browser.run("document.querySelector('#display-name').value = '   '");
    browser.click("#profile-form button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector('#profile-status').classList.contains('error')"));
    BOOST_TEST(stack().sql("SELECT display_name FROM users WHERE id = " + std::to_string(user)) == "Paula R.");
    browser.type("#avatar-file", testing::repo_dir() + "/tests/fixtures/photo.webp");
    browser.click("#avatar-form button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector('#me-avatar img') && document.querySelector('#me-avatar img').naturalWidth > 0"));
    BOOST_TEST(stack().sql("SELECT avatar IS NOT NULL FROM users WHERE id = " + std::to_string(user)) == "t");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_bots_checkout_link_opens_epaycos_checkout_in_the_browser) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "bot-link"};
    const long long tg = testing::unique_number();
    const std::string user = stack().sql("INSERT INTO users (telegram_id, first_name, age_verified_at) VALUES (" + tg_text(tg) +
                                         ", 'Bruno', now()) RETURNING id");
    // The link as the bot writes it (env.example's PAYMENT_LINK_SECRET); no session in the browser.
    auto settings = testing::settings<pnptv::PaymentLinkSettings>({{"PAYMENT_LINK_SECRET", "change-me-local-only"},
                                                                    {"PUBLIC_BASE_URL", stack().url("")}});
    const std::string link = pnptv::payment_link(settings, std::stoll(user), "prime-lifetime-usd", std::time(nullptr) + 600);
    browser.go(link);
    BOOST_TEST_REQUIRE(browser.wait_until("location.pathname === '/checkout-page' && document.querySelector('#invoice')", 15), browser.url());
    BOOST_TEST(browser.text("#extra1") == user);
    BOOST_TEST(browser.text("#extra2") == "prime-lifetime-usd");
    // A tampered link: the page says so in words.
    std::string tampered = link;
    tampered.replace(tampered.find("prime-lifetime-usd"), 18, "prime-monthly-usd");
    browser.go(tampered);
    BOOST_TEST(browser.wait_until("location.pathname === '/pay/' && document.querySelector('#status').classList.contains('error')"));
    BOOST_TEST(browser.text("#status").find("not valid") != std::string::npos, browser.text("#status"));
    testing::save_screenshot(browser, "pay-invalid-link");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    BOOST_TEST(browser.page_errors() == "");
}
