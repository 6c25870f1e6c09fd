#include "stack.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>

namespace testing {

Stack::Stack(const std::string& extra) {
    env = "export PNPTV_ENV_FILE=env.example STACK_RUN_DIR='" + dir + "' STACK_HTTP_PORT=" + std::to_string(port) +
          " STACK_PG_PORT=" + std::to_string(free_port()) + " STACK_REDIS_PORT=" + std::to_string(free_port()) +
          " STACK_WORKERS=2 PUBLIC_BASE_URL=http://127.0.0.1:" + std::to_string(port) +
          " TELEGRAM_OAUTH_BASE='" + fake + "' TELEGRAM_API_BASE='" + fake + "' EPAYCO_API_BASE='" + fake + "'" +
          " EPAYCO_APIFY_BASE='" + fake + "' EPAYCO_CHECKOUT_BASE='" + fake + "' RADIO_STREAM_URL='" + fake + "/radio.mp3'" +
          " NAVIDROME_URL='" + fake + "' MINIAPP_FRAME_ANCESTORS='https://web.telegram.org " + telegram_web() + "' " + extra +
          // The stack's own services, not the test run's (the environment would win).
          "\nunset DATABASE_URL REDIS_URL\n";
    if (shell("chmod 700 '" + parent + "'").status != 0) throw std::runtime_error("can't make the stack's folder private");
    auto r = shell(env + "make --no-print-directory run");
    started = r.output;
    if (r.status != 0) throw std::runtime_error("make run failed:\n" + r.output);
}

Stack::~Stack() { shell(env + "scripts/stack stop; pg_forget \"$STACK_RUN_DIR\""); }

std::string Stack::url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }

std::string Stack::telegram_web() const { return "http://localhost:" + fake.substr(fake.rfind(':') + 1); }

ShellResult Stack::sh(const std::string& script) const { return shell(env + script); }

std::string Stack::sql(const std::string& statement) const {
    auto r = sh("psql \"$(pg_url \"$STACK_RUN_DIR\")\" -qAt -v ON_ERROR_STOP=1 -c " + shell_quoted(statement));
    if (r.status != 0) throw std::runtime_error("sql failed: " + statement + "\n" + r.output);
    while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
    return r.output;
}

std::string Stack::database_url() const { return last_line(sh("pg_url \"$STACK_RUN_DIR\"").output); }

std::string Stack::log_in(long long telegram_id, const std::string& first_name, const std::vector<std::string>& headers) const {
    auto r = widget_login(url(""), telegram_id, first_name, headers);
    BOOST_TEST_REQUIRE(r.status == 200, r.status << " " << r.body);
    return session_cookie(r);
}

}  // namespace testing
