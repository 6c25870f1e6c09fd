#include "handler.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "log.hpp"
#include "pg.hpp"
#include "subscriptions.hpp"

namespace payment_worker {

using namespace pnptv;
using Clock = std::chrono::steady_clock;

Settings Settings::read(SettingsReader& r) {
    Settings s{DatabaseSettings::read(r), RedisSettings::read(r), VerifierSettings::read(r)};
    s.reconcile_after_minutes = static_cast<int>(r.integer("EPAYCO_RECONCILE_AFTER_MINUTES", 15, 1, 1440));
    s.abandon_after_hours = static_cast<int>(r.integer("PAYMENT_ABANDON_HOURS", 24, 1, 24 * 365));
    s.jobs_interval_seconds = read_jobs_interval_seconds(r);
    return s;
}

void run_jobs(const Settings& s) {
    const int reconcile_after = s.reconcile_after_minutes;
    const std::pair<const char*, std::function<int()>> jobs[] = {
        {"schedule_rechecks", [&] { return schedule_rechecks(reconcile_after); }},
        {"close_abandoned_records", [&] { return close_abandoned_records(s.abandon_after_hours); }},
        {"expire_subscriptions", expire_subscriptions},
        {"send_expiry_reminders", send_expiry_reminders}};
    for (const auto& [name, job] : jobs) {
        try {
            if (int n = job()) log_event(LogLevel::info, "job", {{"job", name}, {"count", n}});
        } catch (const std::exception& e) {
            log_event(LogLevel::warn, "job_failed", {{"job", name}, {"error", e.what()}});
        }
    }
}

namespace {

int main_loop(const Settings& s) {
    const auto jobs_every = std::chrono::seconds(s.jobs_interval_seconds);
    Pg listener(s.database.url);
    bool listening = false;
    Clock::time_point last_jobs{};
    while (!stop_requested()) {
        try {
            if (last_jobs == Clock::time_point{} || Clock::now() - last_jobs >= jobs_every) {
                run_jobs(s);
                last_jobs = Clock::now();
            }
            if (!listening) {
                listener.listen("payment_references");
                listening = true;
            }
            if (verify_due_references(s.verifier, [] { return !stop_requested(); }) > 0) continue;
            // Nothing due: sleep until the next reference is due or a NOTIFY says one is.
            double seconds = seconds_until_next_due().value_or(30.0);
            listener.wait_for_notification(static_cast<int>(std::clamp(seconds * 1000.0, 50.0, 10000.0)));
        } catch (const PgUnavailable&) {
            listening = false;
            listener.disconnect();
            for (int i = 0; i < 20 && !stop_requested(); ++i) usleep(100000);  // 2 s, then try again
        } catch (const std::exception& e) {
            log_event(LogLevel::error, "worker_error", {{"error", e.what()}});
            for (int i = 0; i < 20 && !stop_requested(); ++i) usleep(100000);
        }
    }
    return 0;
}

}  // namespace

const Daemon& daemon() {
    static const Daemon d = make_daemon("payment-worker", main_loop);
    return d;
}

}  // namespace payment_worker
