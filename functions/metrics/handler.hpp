// metrics — GET /metrics, the host's figures in Prometheus text format, for a scraper on the host
// or the monitoring network (an internal route: never reachable through the public site).
// Request counts and latency histograms per function, route and status, summed over every pool
// file of the host (common/metrics); the guard's denials; and the business gauges PostgreSQL
// holds (active subscriptions by plan, live streams, the outbox backlog and its dead rows,
// ePayco references by validated state), read by one query per scrape.
#pragma once

#include "http.hpp"
#include "metrics.hpp"
#include "pg.hpp"
#include "runtime.hpp"

namespace metrics {

inline constexpr std::string_view metrics_path = "/metrics";

struct Settings {
    pnptv::DatabaseSettings database;
    pnptv::MetricsSettings metrics;
    static Settings read(pnptv::SettingsReader& r);
};

// The exposition text (what GET /metrics answers) for the pool files under `dir` and the figures
// PostgreSQL gives (none, and pnptv_database_up 0, when it does not answer).
std::string exposition(const std::string& dir);

pnptv::Response handle(const Settings& settings, const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace metrics
