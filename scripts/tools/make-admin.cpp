// make-admin <telegram_id> — grants the admin role (the first admin has to come from somewhere).
// The role change and its audit_log row commit together; then the guard's authorisation record
// is rewritten so the new role shows at the user's next request. Run through scripts/make-admin.
#include <iostream>
#include <string>

#include "audit.hpp"
#include "authz.hpp"
#include "pg.hpp"
#include "runtime.hpp"
#include "text.hpp"

using namespace pnptv;

int main(int argc, char** argv) {
    const auto telegram_id = argc == 2 ? parse_id(argv[1]) : std::nullopt;
    if (!telegram_id) {
        std::cerr << "usage: make-admin <telegram_id>   (the numeric Telegram user id)\n";
        return 2;
    }
    try {
        start_tool<StoreSettings>("make-admin");
        long long user_id = 0;
        bool changed = false;
        db().transaction([&] {
            auto r = db().exec("SELECT id, role FROM users WHERE telegram_id = $1 FOR UPDATE", {*telegram_id});
            if (r.rows() == 0) return;
            user_id = r.get_int(0, "id");
            if (r.get(0, "role") == "admin") return;
            changed = true;
            db().exec("UPDATE users SET role = 'admin' WHERE id = $1", {user_id});
            audit(std::nullopt, "user.make_admin", "user", std::to_string(user_id),
                  {{"telegram_id", *telegram_id}, {"by", "scripts/make-admin"}, {"os_user", operator_login()}});
        });
        if (user_id == 0) {
            std::cerr << "make-admin: no user with telegram_id " << *telegram_id
                      << " (they must log in or /start the bot first)\n";
            return 1;
        }
        project_users_now({user_id});
        std::cout << "user " << user_id << " (telegram " << *telegram_id << ") "
                  << (changed ? "is now an admin" : "was already an admin") << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "make-admin: " << e.what() << "\n";
        return 1;
    }
}
