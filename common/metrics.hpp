// metrics.hpp — request counts and latencies of a function pool, shared by every worker of it.
//
// A pool is several processes (multiwatch), restarted one at a time, so no worker's memory can
// hold the pool's figures. Each pool keeps them in one file, METRICS_DIR/<function>-<layout>.metrics,
// which every worker maps shared and adds to with atomic increments: recording a request costs
// two clock reads and a few atomic adds — no lock, no system call, no network round trip (a
// Redis counter per request would double the guard's cost). A worker that dies loses nothing (the
// figures are in the mapping, not in it); its replacement maps the same file. The file's name
// carries a hash of its layout (the route table, statuses, buckets), so a release whose routes
// differ starts a file of its own beside the old one, and the reader sums every file by its own
// labels: totals only ever grow, across restarts and deploys, until the host reboots (the folder
// belongs on a tmpfs such as /run) — which Prometheus reads as the counter reset it is.
// The `metrics` function reads every pool's file of its host (GET /metrics, internal only).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "router.hpp"
#include "settings.hpp"

namespace pnptv {

// Latency histogram upper bounds, in seconds (+Inf is the count).
inline constexpr std::array<double, 12> latency_buckets_seconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                   0.05,   0.1,   0.25,   0.5,   1,    2.5};
// The methods counted apart; any other is counted as "other".
inline constexpr std::array<std::string_view, 7> counted_methods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
// The statuses counted apart; any other is counted as 0 ("other").
inline constexpr std::array<int, 25> counted_statuses = {200, 201, 204, 206, 301, 302, 303, 304, 307,
                                                         400, 401, 403, 404, 405, 409, 410, 413, 415,
                                                         416, 422, 429, 500, 502, 503, 504};

// METRICS_DIR: the folder of the pool files (a tmpfs: they are counters since boot).
struct MetricsSettings {
    std::string dir;
    static MetricsSettings read(SettingsReader& r);
};

class PoolMetrics {
public:
    // Maps the pool's file under `dir` (created, with the folder, if missing). Throws
    // std::runtime_error saying why when it can't.
    static std::unique_ptr<PoolMetrics> open(const std::string& dir, const std::string& function,
                                             const std::vector<RouteSpec>& routes);
    ~PoolMetrics();
    PoolMetrics(const PoolMetrics&) = delete;
    PoolMetrics& operator=(const PoolMetrics&) = delete;

    // One answered request: the index in the table of the route its path fits (for a 405, any
    // route of that path; -1: none), its method, its status and how long it took. Counted by
    // the route's pattern and the request's method.
    void record(int route, std::string_view method, int status, std::chrono::nanoseconds elapsed);

    const std::string& path() const { return path_; }

private:
    PoolMetrics(std::string path, void* map, size_t size, std::vector<uint32_t> slots);
    std::string path_;
    void* map_;
    size_t size_;
    std::vector<uint32_t> slots_;  // route index → its pattern's slot (slot 0: no route)
};

// One (function, route, status) summed over every pool file in a folder.
struct RequestSeries {
    std::string function, method, route;  // route "-": no route matched; method "other": not counted apart
    int status = 0;                       // 0: a status not in counted_statuses
    uint64_t count = 0;
    double sum_seconds = 0;
    std::array<uint64_t, latency_buckets_seconds.size() + 1> buckets{};  // per bucket (not cumulative), last: above every bound
};

// Every valid pool file in `dir` (others — half-made, another layout version — are skipped),
// summed by labels and sorted; series that never counted a request are left out.
std::vector<RequestSeries> read_request_series(const std::string& dir);

}  // namespace pnptv
