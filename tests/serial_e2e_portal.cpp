// The admin console (/portal/) in a real browser (headless Chromium over WebDriver) against the
// real stack: a member is told it is for admins; an admin finds people, bans (after a confirm
// step) and unbans them, grants and revokes PRIME, reads payments and the numbers, retries a
// message given up on, sends a broadcast and follows it to delivery, keeps the Videorama
// catalogue, and reads all of it back in the audit log — each change checked in the database.
// Basic accessibility checked on the way; screenshots at desktop and phone width under the
// artifacts folder. Serial: a stack of its own.
#define BOOST_TEST_MODULE serial_e2e_portal
#include <boost/test/unit_test.hpp>

#include <stdexcept>

#include "e2e.hpp"

using testing::Browser;
using testing::Stack;

namespace {

Stack& stack() {
    static Stack s;
    return s;
}

// A string as a JavaScript literal.
std::string js(const std::string& text) { return pnptv::Json(text).dump(); }

// One admin's browser for the whole suite, the way an operator makes one: they log in, are made
// admin with scripts/make-admin, and load the page again.
struct Admin {
    Browser browser;
    long long telegram_id = testing::unique_number();
    long long id = testing::log_in(browser, stack(), telegram_id, "Alma", "/portal/");

    Admin() {
        testing::pass_age_gate(browser);
        auto made = stack().sh("PNPTV_ENV_FILE=\"$STACK_RUN_DIR/env\" scripts/make-admin " + std::to_string(telegram_id));
        if (made.status != 0) throw std::runtime_error("make-admin failed: " + made.output);
        browser.go(stack().url("/portal/"));
        if (!browser.wait_until("document.querySelector('#console') && !document.querySelector('#console').hidden"))
            throw std::runtime_error("the console did not open for the admin: " + browser.url());
    }
};

Admin& admin() {
    static Admin a;
    return a;
}

// Someone who has used the bot (age confirmed, a Telegram chat): a row is all the console needs.
long long add_person(const std::string& first_name) {
    const std::string tg = std::to_string(testing::unique_number());
    return std::stoll(stack().sql("INSERT INTO users (telegram_id, first_name, username, age_verified_at) VALUES (" + tg + ", " +
                                  "'" + first_name + "', 'p" + tg + "', now()) RETURNING id"));
}

void open_section(Browser& browser, const std::string& name) {
    browser.click("#tab-" + name);
    if (!browser.wait_until("!document.querySelector('#panel-" + name + "').hidden"))
        throw std::runtime_error("the section " + name + " did not open");
}

void find_person(Browser& browser, const std::string& name, long long id) {
    open_section(browser, "users");
    browser.run("document.querySelector('#user-q').value = ''");
    browser.type("#user-q", name);
    browser.click("#user-search button[type=submit]");
    // The list once this search drew it (not the newest people it showed before).
    if (!browser.wait_until("document.querySelector('#user-list').dataset.query === " + js(name) +
                            " && document.querySelector('li[data-user=\"" + std::to_string(id) + "\"]')"))
        throw std::runtime_error("the search did not find " + name);
}

std::string card(long long id) { return "li[data-user=\"" + std::to_string(id) + "\"] "; }

std::string audit_count(const std::string& action, long long actor, const std::string& subject_id) {
    return stack().sql("SELECT count(*) FROM audit_log WHERE action = '" + action + "' AND actor_user_id = " + std::to_string(actor) +
                       " AND subject_id = '" + subject_id + "'");
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_member_who_is_not_an_admin_is_told_the_console_is_for_admins) {
    Browser browser;
    testing::ShotOnFailure shot{browser, "portal-not-admin"};
    testing::log_in(browser, stack(), testing::unique_number(), "Nora", "/portal/");
    testing::pass_age_gate(browser);
    BOOST_TEST_REQUIRE(browser.wait_until("!document.querySelector('#not-admin').hidden"));
    BOOST_TEST(browser.text("#not-admin h1") == "The admin console is for admins");
    BOOST_TEST(browser.run("return document.querySelector('#console').hidden").get<bool>());
    BOOST_TEST(!browser.find("header.site a[href='/portal/']"));  // no way in from the menu either
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    testing::save_screenshot(browser, "portal-not-admin-desktop");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_sections_are_tabs_the_keyboard_moves_between) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-tabs"};
    open_section(browser, "users");
    BOOST_TEST(browser.run("return document.querySelector('#tab-users').getAttribute('aria-selected')").get<std::string>() == "true");
    browser.type("#tab-users", "\xEE\x80\x94");  // WebDriver's ArrowRight
    BOOST_TEST(browser.wait_until("document.activeElement.id === 'tab-payments' && !document.querySelector('#panel-payments').hidden "
                                  "&& document.querySelector('#panel-users').hidden"));
    browser.type("#tab-payments", "\xEE\x80\x92");  // ArrowLeft
    BOOST_TEST(browser.wait_until("document.activeElement.id === 'tab-users' && !document.querySelector('#panel-users').hidden"));
    BOOST_TEST(browser.run("return [...document.querySelectorAll('[role=tab]')].filter((t) => t.tabIndex === 0).length").get<int>() == 1);
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(an_admin_finds_a_person_by_name_bans_them_after_confirming_and_unbans_them) {
    Browser& browser = admin().browser;
    const long long admin_id = admin().id;
    testing::ShotOnFailure shot{browser, "portal-ban"};
    const long long person = add_person("Quintana");
    const std::string subject = std::to_string(person);
    find_person(browser, "quinta", person);
    BOOST_TEST(browser.text(card(person) + "h3").find("Quintana") == 0u);

    // The confirm step: asking changes nothing, and "Cancel" leaves the person as they were.
    browser.click(card(person) + "button.ban");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(card(person) + ".confirm") + ")"));
    BOOST_TEST(browser.run("return document.activeElement.closest('.confirm') !== null").get<bool>());  // focus on the question
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    testing::save_screenshot(browser, "portal-ban-confirm-desktop");
    BOOST_TEST(stack().sql("SELECT banned_at IS NULL FROM users WHERE id = " + subject) == "t");
    browser.click(card(person) + ".confirm button.no");
    BOOST_TEST(browser.wait_until("!document.querySelector(" + js(card(person) + ".confirm") + ")"));
    BOOST_TEST(stack().sql("SELECT banned_at IS NULL FROM users WHERE id = " + subject) == "t");
    BOOST_TEST(audit_count("user.ban", admin_id, subject) == "0");

    // Confirmed, with a reason: the row, the audit, the card.
    browser.click(card(person) + "button.ban");
    browser.type(card(person) + ".confirm input", "spam links");
    browser.click(card(person) + ".confirm button.yes");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(card(person) + ".tag.banned") + ")"));
    BOOST_TEST(browser.text(card(person) + ".tag.banned") == "Banned: spam links");
    BOOST_TEST(browser.text(card(person) + "[role=status]") == "Banned.");
    BOOST_TEST(stack().sql("SELECT banned_at IS NOT NULL, ban_reason FROM users WHERE id = " + subject) == "t|spam links");
    BOOST_TEST(audit_count("user.ban", admin_id, subject) == "1");

    browser.click(card(person) + "button.unban");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(card(person) + "button.ban") + ")"));
    BOOST_TEST(!browser.find(card(person) + ".tag.banned"));
    BOOST_TEST(stack().sql("SELECT banned_at IS NULL FROM users WHERE id = " + subject) == "t");
    BOOST_TEST(audit_count("user.unban", admin_id, subject) == "1");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(an_admin_cannot_ban_or_demote_themselves_and_is_told_why_but_changes_others_roles) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-roles"};
    const std::string me = std::to_string(admin().id);
    find_person(browser, "Alma", admin().id);
    browser.click(card(admin().id) + "button.ban");
    browser.click(card(admin().id) + ".confirm button.yes");
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(card(admin().id) + "[role=status]") + ").textContent === \"Admins can't ban themselves.\""));
    BOOST_TEST(stack().sql("SELECT banned_at IS NULL FROM users WHERE id = " + me) == "t");
    browser.click("#role-" + me + " option[value='user']");
    browser.click(card(admin().id) + "button.set-role");
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(card(admin().id) + "[role=status]") +
                                  ").textContent === 'Ask another admin to change your own role.'"));
    BOOST_TEST(stack().sql("SELECT role FROM users WHERE id = " + me) == "admin");

    const long long person = add_person("Ulises");
    const std::string subject = std::to_string(person);
    find_person(browser, "Ulises", person);
    browser.click("#role-" + subject + " option[value='admin']");
    browser.click(card(person) + "button.set-role");
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(card(person) + "[role=status]") + ").textContent === 'Role changed.'"));
    BOOST_TEST(stack().sql("SELECT role FROM users WHERE id = " + subject) == "admin");
    BOOST_TEST(audit_count("user.role", admin().id, subject) == "1");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(an_admin_grants_prime_by_plan_and_days_and_revokes_it_after_confirming) {
    Browser& browser = admin().browser;
    const long long admin_id = admin().id;
    testing::ShotOnFailure shot{browser, "portal-prime"};
    const long long person = add_person("Renata");
    const std::string subject = std::to_string(person);
    find_person(browser, "Renata", person);

    const std::string grant = "#grant-" + subject;
    browser.click(card(person) + ".grant-box summary");
    browser.click(grant + "-plan option[value='prime-monthly-usd']");
    browser.type(grant + "-reason", "contest winner");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    browser.click(card(person) + ".grant button[type=submit]");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(card(person) + ".tag.prime") + ")"));
    BOOST_TEST(browser.text(card(person) + ".tag.prime").find("PRIME until") == 0u);
    BOOST_TEST(stack().sql("SELECT plan_id, ends_at > now() + interval '29 days' FROM subscriptions WHERE status = 'active' AND user_id = " +
                           subject) == "prime-monthly-usd|t");
    BOOST_TEST(stack().sql("SELECT tier FROM users WHERE id = " + subject) == "prime");

    // Days on the current plan: nothing chosen but days is refused in words, then days alone.
    browser.click(card(person) + ".grant-box summary");
    browser.click(card(person) + ".grant button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(card(person) + "[role=status]") +
                                  ").textContent === 'Choose a plan, a number of days, or both.'"));
    browser.type(grant + "-days", "10");
    browser.click(card(person) + ".grant button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(card(person) + "[role=status]") + ").textContent.startsWith('PRIME granted')"));
    BOOST_TEST(stack().sql("SELECT ends_at > now() + interval '39 days' FROM subscriptions WHERE status = 'active' AND user_id = " + subject) == "t");
    BOOST_TEST(audit_count("subscription.grant", admin_id, subject) == "2");

    browser.click(card(person) + "button.revoke");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(card(person) + ".confirm") + ")"));
    BOOST_TEST(stack().sql("SELECT count(*) FROM subscriptions WHERE status = 'active' AND user_id = " + subject) == "1");
    browser.click(card(person) + ".confirm button.yes");
    BOOST_TEST(browser.wait_until("!document.querySelector(" + js(card(person) + ".tag.prime") + ")"));
    BOOST_TEST(stack().sql("SELECT count(*) FROM subscriptions WHERE status = 'active' AND user_id = " + subject) == "0");
    BOOST_TEST(audit_count("subscription.revoke", admin_id, subject) == "1");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(an_admin_searches_payments_and_reads_one_with_its_confirmations) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-payments"};
    const long long buyer = add_person("Selena");
    const std::string invoice = "PORTAL-" + std::to_string(testing::unique_number());
    const std::string id = stack().sql(
        "INSERT INTO payment_records (invoice, user_id, plan_id, amount, currency, state, provider_ref, approved_at) VALUES ('" + invoice +
        "', " + std::to_string(buyer) + ", 'prime-monthly-usd', 10.00, 'USD', 'approved', 'REF-" + invoice + "', now()) RETURNING id");
    stack().sql("INSERT INTO payment_confirmations (payment_record_id, provider_ref, state_code, source, outcome, raw_payload) VALUES (" +
                id + ", 'REF-" + invoice + "', 1, 'webhook', 'applied', '{}')");

    open_section(browser, "payments");
    browser.type("#payment-q", invoice);
    browser.click("#payment-state option[value='approved']");
    browser.click("#payment-search button[type=submit]");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelectorAll('#payment-rows tr').length === 1 && "
                                          "document.querySelector('#payment-rows tr[data-payment=\"" + id + "\"]')"));
    BOOST_TEST(browser.text("#payment-rows tr td.amount") == "10.00 USD");
    browser.click("#payment-rows tr button.details");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#payment-detail h2') && "
                                          "document.querySelector('#payment-detail h2').textContent === " + js("Payment " + invoice)));
    const std::string facts = browser.run("return [...document.querySelectorAll('#payment-detail dt')]"
                                          ".map((dt) => dt.textContent + ': ' + dt.nextElementSibling.textContent).join('\\n')").get<std::string>();
    BOOST_TEST(facts.find("State: Approved\nAmount: 10.00 USD\nPurpose: Subscription\nPlan: prime-monthly-usd") == 0u, facts);
    BOOST_TEST(facts.find("ePayco reference: REF-" + invoice) != std::string::npos, facts);
    BOOST_TEST(browser.text("#payment-detail table").find("webhook") != std::string::npos);

    // Another state finds nothing, in words.
    browser.click("#payment-state option[value='declined']");
    browser.click("#payment-search button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector('#payments-status').textContent === 'No payments match.'"));
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_stats_show_people_revenue_by_purpose_and_a_dead_message_to_retry) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-stats"};
    const long long buyer = add_person("Tamara");
    const std::string who = std::to_string(buyer);
    // Two approved donations this month in a currency of their own: an exact total by purpose
    // (in binary floating point 0.10 + 0.20 is 0.30000000000000004).
    stack().sql("INSERT INTO payment_records (invoice, user_id, purpose, amount, currency, state, approved_at) VALUES "
                "('TIP1-" + who + "', " + who + ", 'donation', 0.10, 'EUR', 'approved', now()), "
                "('TIP2-" + who + "', " + who + ", 'donation', 0.20, 'EUR', 'approved', now())");
    const std::string dead = stack().sql(
        "INSERT INTO outbox (kind, user_id, payload, attempts, dead_at, last_error) VALUES ('telegram', " + who +
        ", jsonb_build_object('method', 'sendMessage', 'chat_id', 1, 'text', 'again'), 8, now(), 'bot was blocked') RETURNING id");

    open_section(browser, "stats");
    const std::string people = stack().sql("SELECT count(*) FROM users WHERE deleted_at IS NULL");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('[data-stat=users_total] dd') && "
                                          "document.querySelector('[data-stat=users_total] dd').textContent === " + js(people)));
    const std::string purposes = browser.run("return [...document.querySelectorAll('#stats-purposes tr')]"
                                             ".map((r) => [...r.cells].map((c) => c.textContent).join('|')).join('\\n')").get<std::string>();
    BOOST_TEST(purposes.find("Donation|0.30 EUR|2") != std::string::npos, purposes);
    BOOST_TEST(browser.text("[data-stat=outbox_dead] dd") == stack().sql("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL"));
    testing::save_screenshot(browser, "portal-stats-desktop");

    browser.click("#outbox-rows tr[data-outbox=\"" + dead + "\"] button.retry");
    BOOST_TEST(browser.wait_until("!document.querySelector('#outbox-rows tr[data-outbox=\"" + dead + "\"]')"));
    BOOST_TEST(browser.text("#outbox-status") == "Message #" + dead + " gets another round of attempts.");
    BOOST_TEST(stack().sql("SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL AND id = " + dead) == "0");
    BOOST_TEST(audit_count("outbox.retry", admin().id, dead) == "1");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(a_broadcast_is_confirmed_sent_and_followed_until_delivered) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-broadcast"};
    const std::string text = "Party tonight " + std::to_string(testing::unique_number());
    open_section(browser, "broadcast");
    browser.type("#broadcast-text", text);
    browser.click("#broadcast-form button[type=submit]");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#broadcast-confirm .confirm')"));
    BOOST_TEST(stack().sql("SELECT count(*) FROM broadcasts WHERE text = '" + text + "'") == "0");
    browser.click("#broadcast-confirm button.yes");
    BOOST_TEST_REQUIRE(browser.wait_until("!document.querySelector('#broadcast-progress').hidden"));
    const std::string recipients = stack().sql("SELECT recipients FROM broadcasts WHERE text = '" + text + "'");
    BOOST_TEST(std::stoi(recipients) > 0);
    BOOST_TEST(browser.text("#broadcast-status") == "Queued for " + recipients + " people.");
    // notify-worker delivers to the fake Telegram; the page follows until nothing is pending.
    BOOST_TEST(browser.wait_until("document.querySelector('#broadcast-counts').dataset.pending === '0'", 60));
    BOOST_TEST(browser.text("#broadcast-counts") == "Done: " + recipients + " of " + recipients + " delivered · 0 failed");
    BOOST_TEST(testing::http("GET", stack().fake + "/__calls").body.find(text) != std::string::npos);
    testing::save_screenshot(browser, "portal-broadcast-desktop");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(an_admin_adds_edits_gives_a_poster_to_and_deletes_a_video) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-videos"};
    BOOST_TEST_REQUIRE(stack().sh("mkdir -p \"$STACK_RUN_DIR/media/portal\" && head -c 1000 /dev/urandom >\"$STACK_RUN_DIR/media/portal/clip.mp4\"").status == 0);
    open_section(browser, "videos");
    browser.click("#video-add");
    BOOST_TEST(testing::accessibility_problems(browser) == "");
    browser.type("#video-title", "Portal clip");
    browser.type("#video-category", "parties");
    browser.type("#video-file", "portal/missing.mp4");
    browser.click("#video-form button[type=submit]");
    BOOST_TEST(browser.wait_until("document.querySelector('#videos-status').textContent.startsWith('The file must be a video in the media folder')"));
    browser.run("document.querySelector('#video-file').value = ''");
    browser.type("#video-file", "portal/clip.mp4");
    browser.click("#video-published");
    browser.click("#video-form button[type=submit]");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#videos-status').textContent === 'Saved “Portal clip”.'"));
    const std::string id = stack().sql("SELECT id FROM videos WHERE title = 'Portal clip'");
    const std::string item = "li[data-video=\"" + id + "\"] ";
    BOOST_TEST(stack().sql("SELECT category, file_path, prime_only, published_at IS NOT NULL FROM videos WHERE id = " + id) == "parties|portal/clip.mp4|t|t");

    // Editing sends only what changed.
    browser.click(item + "button.edit");
    browser.run("document.querySelector('#video-title').value = ''");
    browser.type("#video-title", "Portal clip, cut");
    browser.click("#video-form button[type=submit]");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(item + "h3") + ").textContent.endsWith('Portal clip, cut')"));
    BOOST_TEST(stack().sql("SELECT details::text FROM audit_log WHERE action = 'video.update' AND subject_id = '" + id + "'") ==
               "{\"title\": \"Portal clip, cut\"}");

    browser.type(item + "form.poster input[type=file]", testing::repo_dir() + "/tests/fixtures/photo.png");
    browser.click(item + "form.poster button[type=submit]");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(item + "img.thumb") + ")", 20));
    BOOST_TEST(browser.wait_until("document.querySelector(" + js(item + "img.thumb") + ").naturalWidth > 0"));
    BOOST_TEST(stack().sql("SELECT poster IS NOT NULL FROM videos WHERE id = " + id) == "t");
    testing::save_screenshot(browser, "portal-videos-desktop");

    browser.click(item + "button.delete");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector(" + js(item + ".confirm") + ")"));
    BOOST_TEST(stack().sql("SELECT count(*) FROM videos WHERE id = " + id) == "1");
    browser.click(item + ".confirm button.yes");
    BOOST_TEST(browser.wait_until("!document.querySelector(" + js(item) + ")"));
    BOOST_TEST(stack().sql("SELECT count(*) FROM videos WHERE id = " + id) == "0");
    BOOST_TEST(audit_count("video.delete", admin().id, id) == "1");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(the_audit_log_shows_what_the_admin_just_did_newest_first) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-audit"};
    open_section(browser, "audit");
    BOOST_TEST_REQUIRE(browser.wait_until("document.querySelector('#audit-rows tr[data-action]')"));
    const std::string actions = browser.run(
        "return [...document.querySelectorAll('#audit-rows tr')].map((r) => r.dataset.action).join(' ')").get<std::string>();
    // This suite's changes, newest first (the log is everyone's; this admin made all of these).
    const std::string expected = stack().sql("SELECT string_agg(action, ' ' ORDER BY created_at DESC, id DESC) FROM "
                                             "(SELECT * FROM audit_log ORDER BY created_at DESC, id DESC LIMIT 50) a");
    BOOST_TEST(actions == expected);
    for (const char* action : {"user.ban", "user.unban", "subscription.grant", "subscription.revoke", "outbox.retry", "broadcast.send",
                               "video.create", "video.delete", "user.make_admin"})
        BOOST_TEST(actions.find(action) != std::string::npos, action);
    BOOST_TEST(browser.text("#audit-rows tr[data-action='user.ban']").find("Banned") != std::string::npos);
    BOOST_TEST(browser.text("#audit-rows tr[data-action='user.ban']").find("spam links") != std::string::npos);
    testing::save_screenshot(browser, "portal-audit-desktop");
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(at_phone_width_every_section_fits_the_screen) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-phone"};
    browser.resize(390, 844);
    for (const char* section : {"users", "payments", "stats", "broadcast", "videos", "audit"}) {
        open_section(browser, section);
        if (std::string(section) == "users") find_person(browser, "Quintana", std::stoll(stack().sql("SELECT id FROM users WHERE first_name = 'Quintana'")));
        // Wide tables scroll inside their box; the page itself never scrolls sideways.
        BOOST_TEST(browser.wait_until("document.documentElement.scrollWidth <= window.innerWidth"), section);
        BOOST_TEST(!browser.run("return document.querySelector('main').innerText.includes('portal.')").get<bool>(), section);  // no bare key
        BOOST_TEST(testing::accessibility_problems(browser) == "", section);
        testing::save_screenshot(browser, std::string("portal-") + section + "-phone");
    }
    browser.resize(1280, 900);
    BOOST_TEST(browser.page_errors() == "");
}

BOOST_AUTO_TEST_CASE(in_spanish_every_section_and_question_is_in_spanish) {
    Browser& browser = admin().browser;
    testing::ShotOnFailure shot{browser, "portal-spanish"};
    browser.run("localStorage.setItem('pnptv.language', 'es'); location.reload()");
    BOOST_TEST_REQUIRE(browser.wait_until("document.documentElement.lang === 'es' && !document.querySelector('#console').hidden"));
    BOOST_TEST(browser.run("return document.title").get<std::string>() == "PNPtv · Administración");
    BOOST_TEST(browser.text("#tab-users") == "Usuarios");
    const long long person = std::stoll(stack().sql("SELECT id FROM users WHERE first_name = 'Quintana'"));
    find_person(browser, "Quintana", person);
    browser.click(card(person) + "button.ban");
    BOOST_TEST(browser.text(card(person) + ".confirm p").find("¿Bloquear a Quintana?") == 0u);
    browser.click(card(person) + ".confirm button.no");
    for (const char* section : {"users", "payments", "stats", "broadcast", "videos", "audit"}) {
        open_section(browser, section);
        BOOST_TEST(browser.wait_until("!document.querySelector('#panel-" + std::string(section) + "').innerText.includes('Cargando')"), section);
        BOOST_TEST(!browser.run("return document.querySelector('main').innerText.includes('portal.')").get<bool>(), section);
    }
    testing::save_screenshot(browser, "portal-audit-spanish-desktop");
    browser.run("localStorage.removeItem('pnptv.language')");
    BOOST_TEST(browser.page_errors() == "");
}
