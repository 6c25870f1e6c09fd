// e2e.hpp — the end-to-end tests' world: the real stack (stack.hpp: `make run` on free ports)
// with the local fakes for Telegram's OAuth page, ePayco (checkout page, validation)
// and the radio, a headless Chromium, and what a person does first (log in, confirm 18+).
#pragma once

#include <string>

#include "http.hpp"
#include "stack.hpp"
#include "testing.hpp"
#include "webdriver.hpp"

namespace testing {

// The Telegram login widget's fields for a person, signed with the stack's bot token
// (env.example's TELEGRAM_BOT_TOKEN), as a JSON object.
pnptv::Json signed_login(long long telegram_id, const std::string& first_name);

// Logs the browser in as that person the way a new visitor does: open `page`, be sent to /auth/,
// press "Log in with Telegram", come back from Telegram's (fake) OAuth page, land on `page`.
// Leaves the 18+ gate to the caller. Returns the users row's id.
long long log_in(Browser& browser, const Stack& stack, long long telegram_id, const std::string& first_name,
                 const std::string& page = "/hub/");

// Confirms 18+ on the gate when it shows; waits for the page's <main> to be shown.
void pass_age_gate(Browser& browser);

// The basic accessibility problems of the page as it is now, one per line (empty: none): a form
// control without a label, an image without alt text, a button or link without a name, a page
// without a language or a top heading.
std::string accessibility_problems(Browser& browser);

// A screenshot when the test case it lives in fails: FAILED-<name>.png under the artifacts.
struct ShotOnFailure {
    Browser& browser;
    std::string name;
    ~ShotOnFailure();
};

// A PNG of the page under the run's artifacts folder ($PNPTV_E2E_ARTIFACTS, else
// $BUILD/e2e-artifacts): `name`.png. Returns its path.
std::string save_screenshot(Browser& browser, const std::string& name);

}  // namespace testing
