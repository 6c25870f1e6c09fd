// stack.hpp — the real stack (scripts/stack: PostgreSQL, Redis, nginx, every function under
// spawn-fcgi + multiwatch, the daemons) started as the README's `make run`, in a folder of its own
// on free ports, driven from outside through nginx. Every third party it talks to (the Bot API,
// Telegram's OAuth page, ePayco, Navidrome, the radio station) is one local fake
// (tests/fakes/fake_bot_api.py) of its own. The folder is private (0700), as a clone in /root is,
// so as root its cluster lives in /var/tmp/pnptv-pg/. The suites that test the whole system share
// it: serial_stack, serial_faults and the browser suites (e2e.hpp).
#pragma once

#include <string>
#include <vector>

#include "testing.hpp"

namespace testing {

struct Stack {
    std::string fake = start_fake_api();  // the fake's base URL (its /__mode, /__calls, /__validation …)
    std::string parent = temp_dir();      // made 0700: the stack lives where only its owner enters
    std::string dir = parent + "/stack";
    int port = free_port();
    std::string env;      // the shell lines every stack command starts with (STACK_RUN_DIR, the ports …)
    std::string started;  // what `make run` printed

    // `extra`: more settings for the stack (NAME=value words, already shell-quoted), over the
    // defaults. Throws when `make run` fails.
    explicit Stack(const std::string& extra = {});
    ~Stack();
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;

    std::string url(const std::string& path) const;
    // The fake under another host name, so another site than the stack's: Telegram's web client,
    // which the stack lets frame its pages (MINIAPP_FRAME_ANCESTORS).
    std::string telegram_web() const;
    ShellResult sh(const std::string& script) const;
    // One SQL statement on the stack's database (psql -At): its output, trailing newline dropped.
    // Throws when psql fails.
    std::string sql(const std::string& statement) const;
    std::string database_url() const;
    // Logs in through nginx exactly as the login widget's JavaScript does (state cookie, signed
    // fields); `headers` go with both requests. Returns "connect.sid=…" for a Cookie header.
    std::string log_in(long long telegram_id, const std::string& first_name = "Nginx",
                       const std::vector<std::string>& headers = {}) const;
};

}  // namespace testing
