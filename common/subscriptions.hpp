// subscriptions.hpp — what PRIME access a user has, and the jobs that keep it honest.
//
// A user has at most one active subscription (a unique index). A grant (a paid approval, or
// an admin's) activates one or extends it: days are added to its dated end (from now when that
// has passed), a lifetime grant is counted. The subscription keeps the two apart —
// dated_ends_at and lifetime_grants, with ends_at NULL while any lifetime grant holds — so taking
// a grant back (a reversal) removes exactly what it added: days bought under a lifetime still
// count when the lifetime is reversed, and days reversed under a lifetime are gone when it ends.
// users.tier follows the subscriptions in the same transaction. Every grant locks the user's row
// first, so two grants for one user (two payments approved at once) apply one after the other
// instead of racing on the index.
#pragma once

#include <optional>
#include <string>

namespace pnptv {

struct Grant {
    long long subscription_id = 0;
    std::optional<int> days;              // nullopt: a lifetime
    std::optional<std::string> ends_on;   // the subscription's end afterwards, YYYY-MM-DD; nullopt: none (lifetime)
};

// Inside the caller's transaction. `days` nullopt: lifetime.
Grant grant_subscription(long long user_id, const std::string& plan_id, std::optional<int> days,
                         std::optional<long long> payment_record_id);
// Inside the caller's transaction: removes what `grant` added, if it is still there.
void take_back_grant(long long user_id, const Grant& grant);
// Inside the caller's transaction: ends the user's active subscription now (an admin's revoke),
// whatever granted it. False when there was none.
bool revoke_subscription(long long user_id);
// users.tier from the user's subscriptions (inside the caller's transaction).
void sync_tier(long long user_id);

// Periodic jobs: idempotent and safe with several workers.
int expire_subscriptions();    // ends expired ones, drops the tier, tells the user
int send_expiry_reminders();   // 3 days before the end

}  // namespace pnptv
