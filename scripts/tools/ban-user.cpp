// ban-user [--unban] <telegram_id> [reason …] — an operator's ban, effective at the user's next
// request (common/bans.hpp). Run through scripts/ban-user.
#include <iostream>
#include <string>

#include "bans.hpp"
#include "pg.hpp"
#include "runtime.hpp"
#include "text.hpp"

using namespace pnptv;

int main(int argc, char** argv) {
    int at = 1;
    const bool unban = argc > 1 && std::string(argv[1]) == "--unban";
    if (unban) ++at;
    const auto telegram_id = argc > at ? parse_id(argv[at]) : std::nullopt;
    if (!telegram_id) {
        std::cerr << "usage: ban-user <telegram_id> [reason …]   or   ban-user --unban <telegram_id>\n";
        return 2;
    }
    std::string reason;
    for (int i = at + 1; i < argc; ++i) reason += (reason.empty() ? "" : " ") + std::string(argv[i]);
    try {
        start_tool<StoreSettings>("ban-user");
        auto r = db().exec("SELECT id FROM users WHERE telegram_id = $1", {*telegram_id});
        if (r.rows() == 0) {
            std::cerr << "ban-user: no user with telegram_id " << *telegram_id << "\n";
            return 1;
        }
        const long long user_id = r.get_int(0, 0);
        BanOutcome out = set_ban(user_id, !unban, reason, std::nullopt,
                                 {{"telegram_id", std::to_string(*telegram_id)}, {"by", "scripts/ban-user"}, {"os_user", operator_login()}});
        std::cout << "user " << user_id << " (telegram " << *telegram_id << ") "
                  << (out.changed ? (unban ? "is no longer banned" : "is banned; sessions ended: " + std::to_string(out.sessions_ended))
                                  : (unban ? "was not banned" : "was already banned"))
                  << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "ban-user: " << e.what() << "\n";
        return 1;
    }
}
