// subscriptions.hpp — what PRIME access a user has, and the jobs that keep it honest.
//
// A user has at most one active subscription (a unique index). A grant (a paid approval, or
// an admin's) activates one or extends it by a plan's days from its current end; a lifetime
// grant removes the end; extending a lifetime one changes nothing. Each grant is described by
// a Grant so that taking it back (a reversal) removes exactly what it added and nothing the
// user bought with another payment. users.tier follows the subscriptions in the same
// transaction. Every grant locks the user's row first, so two grants for one user (two
// payments approved at once) apply one after the other instead of racing on the index.
#pragma once

#include <optional>
#include <string>

namespace pnptv {

struct Grant {
    long long subscription_id = 0;
    std::string effect;                      // created, extended, made_lifetime, none
    std::optional<int> days;                 // nullopt: lifetime
    std::optional<std::string> ends_before;  // the end before a made_lifetime grant (timestamptz text)
    std::optional<std::string> ends_on;      // the end afterwards, YYYY-MM-DD; nullopt: lifetime
};

// Inside the caller's transaction. `days` nullopt: lifetime.
Grant grant_subscription(long long user_id, const std::string& plan_id, std::optional<int> days,
                         std::optional<long long> payment_record_id);
// Inside the caller's transaction: removes what `grant` added, if it is still there.
void take_back_grant(long long user_id, const Grant& grant);
// users.tier from the user's subscriptions (inside the caller's transaction).
void sync_tier(long long user_id);

// Periodic jobs: idempotent and safe with several workers.
int expire_subscriptions();    // ends expired ones, drops the tier, tells the user
int send_expiry_reminders();   // 3 days before the end

}  // namespace pnptv
