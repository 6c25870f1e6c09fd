#include "metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>

namespace pnptv {

namespace {

constexpr char magic[8] = {'P', 'N', 'P', 'T', 'V', 'M', 'E', 'T'};
constexpr uint32_t layout_version = 1;
constexpr size_t max_routes = 96;  // slots, the first for requests no route matched
constexpr size_t name_size = 128;
// The sum of latencies (ns), then a count per bucket: the count is their sum, so a reader never
// sees a count that disagrees with its buckets.
constexpr size_t cell_words = 1 + latency_buckets_seconds.size() + 1;

// What the file says about itself, so a reader needs none of the writer's constants.
struct FileHeader {
    char magic[8];  // written last: a file without it is half-made
    uint32_t version;
    uint32_t routes;
    uint32_t statuses;
    uint32_t buckets;
    char function[64];
    int32_t status_codes[counted_statuses.size()];
    double bucket_bounds[latency_buckets_seconds.size()];
    char route_names[max_routes][name_size];  // "GET /path"
};

size_t file_size(uint32_t routes) { return sizeof(FileHeader) + size_t{routes} * counted_statuses.size() * cell_words * 8; }

uint64_t* cells(void* map) { return reinterpret_cast<uint64_t*>(static_cast<char*>(map) + sizeof(FileHeader)); }

size_t status_index(int status) {
    auto it = std::find(counted_statuses.begin(), counted_statuses.end(), status);
    return it == counted_statuses.end() ? 0 : static_cast<size_t>(it - counted_statuses.begin()) + 1;
}

std::vector<std::string> route_names(const std::vector<RouteSpec>& routes) {
    std::vector<std::string> names{"- -"};
    for (const auto& r : routes) names.push_back(r.method + " " + r.pattern);
    return names;
}

// FNV-1a over everything the layout depends on: a different table is a different file.
std::string layout_hash(const std::string& function, const std::vector<std::string>& names) {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](std::string_view s) {
        for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    };
    mix(function);
    for (const auto& n : names) mix(n);
    for (int s : counted_statuses) mix(std::to_string(s));
    for (double b : latency_buckets_seconds) mix(std::to_string(b));
    mix(std::to_string(layout_version));
    return fmt::format("{:016x}", h);
}

void write_header(void* map, const std::string& function, const std::vector<std::string>& names) {
    auto* h = static_cast<FileHeader*>(map);
    std::memset(map, 0, file_size(static_cast<uint32_t>(names.size())));
    h->version = layout_version;
    h->routes = static_cast<uint32_t>(names.size());
    h->statuses = static_cast<uint32_t>(counted_statuses.size()) + 1;
    h->buckets = static_cast<uint32_t>(latency_buckets_seconds.size());
    function.copy(h->function, sizeof h->function - 1);
    std::copy(counted_statuses.begin(), counted_statuses.end(), h->status_codes);
    std::copy(latency_buckets_seconds.begin(), latency_buckets_seconds.end(), h->bucket_bounds);
    for (size_t i = 0; i < names.size(); ++i) names[i].copy(h->route_names[i], name_size - 1);
    std::atomic_thread_fence(std::memory_order_release);
    std::memcpy(h->magic, magic, sizeof magic);
}

bool header_valid(const FileHeader& h, size_t size) {
    return std::memcmp(h.magic, magic, sizeof magic) == 0 && h.version == layout_version && h.routes >= 1 &&
           h.routes <= max_routes && h.statuses == counted_statuses.size() + 1 &&
           h.buckets == latency_buckets_seconds.size() && size == file_size(h.routes);
}

struct Fd {
    int fd;
    ~Fd() { if (fd >= 0) ::close(fd); }
};

std::runtime_error failure(const std::string& what, const std::string& path) {
    return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

MetricsSettings MetricsSettings::read(SettingsReader& r) { return {r.text("METRICS_DIR", "/run/pnptv/metrics")}; }

std::unique_ptr<PoolMetrics> PoolMetrics::open(const std::string& dir, const std::string& function,
                                               const std::vector<RouteSpec>& routes) {
    std::vector<std::string> names = route_names(routes);
    if (names.size() > max_routes) throw std::runtime_error("too many routes for the metrics file");
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error("can't create " + dir + ": " + ec.message());
    const std::string path = dir + "/" + function + "-" + layout_hash(function, names) + ".metrics";
    const size_t size = file_size(static_cast<uint32_t>(names.size()));
    Fd f{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)};
    if (f.fd < 0) throw failure("can't open", path);
    // Only one worker of the pool lays the file out; the others wait for it and use it.
    if (flock(f.fd, LOCK_EX) != 0) throw failure("can't lock", path);
    struct stat st;
    if (fstat(f.fd, &st) != 0) throw failure("can't stat", path);
    bool fresh = static_cast<size_t>(st.st_size) != size;
    if (fresh && ftruncate(f.fd, static_cast<off_t>(size)) != 0) throw failure("can't size", path);
    void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
    if (map == MAP_FAILED) throw failure("can't map", path);
    if (fresh || !header_valid(*static_cast<FileHeader*>(map), size)) write_header(map, function, names);
    flock(f.fd, LOCK_UN);
    return std::unique_ptr<PoolMetrics>(new PoolMetrics(path, map, size, static_cast<uint32_t>(names.size())));
}

PoolMetrics::PoolMetrics(std::string path, void* map, size_t size, uint32_t routes)
    : path_(std::move(path)), map_(map), size_(size), routes_(routes) {}

PoolMetrics::~PoolMetrics() { munmap(map_, size_); }

void PoolMetrics::record(int route, int status, std::chrono::nanoseconds elapsed) {
    size_t slot = route >= 0 && static_cast<uint32_t>(route) + 1 < routes_ ? static_cast<size_t>(route) + 1 : 0;
    uint64_t* cell = cells(map_) + (slot * (counted_statuses.size() + 1) + status_index(status)) * cell_words;
    const double seconds = std::chrono::duration<double>(elapsed).count();
    size_t bucket = static_cast<size_t>(
        std::lower_bound(latency_buckets_seconds.begin(), latency_buckets_seconds.end(), seconds) - latency_buckets_seconds.begin());
    std::atomic_ref<uint64_t>(cell[0]).fetch_add(static_cast<uint64_t>(std::max<int64_t>(0, elapsed.count())),
                                                 std::memory_order_relaxed);
    std::atomic_ref<uint64_t>(cell[1 + bucket]).fetch_add(1, std::memory_order_relaxed);
}

std::vector<RequestSeries> read_request_series(const std::string& dir) {
    std::map<std::tuple<std::string, std::string, std::string, int>, RequestSeries> sums;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".metrics") continue;
        Fd f{::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC)};
        struct stat st;
        if (f.fd < 0 || fstat(f.fd, &st) != 0 || static_cast<size_t>(st.st_size) < sizeof(FileHeader)) continue;
        const size_t size = static_cast<size_t>(st.st_size);
        void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
        if (map == MAP_FAILED) continue;
        const auto& h = *static_cast<const FileHeader*>(map);
        if (header_valid(h, size)) {
            const std::string function(h.function, strnlen(h.function, sizeof h.function));
            for (uint32_t r = 0; r < h.routes; ++r) {
                std::string name(h.route_names[r], strnlen(h.route_names[r], name_size));
                size_t space = name.find(' ');
                std::string method = name.substr(0, space), route = space == std::string::npos ? "-" : name.substr(space + 1);
                for (uint32_t s = 0; s < h.statuses; ++s) {
                    uint64_t* cell = cells(map) + (size_t{r} * h.statuses + s) * cell_words;
                    std::array<uint64_t, latency_buckets_seconds.size() + 1> buckets;
                    uint64_t count = 0;
                    for (size_t b = 0; b < buckets.size(); ++b)
                        count += buckets[b] = std::atomic_ref<uint64_t>(cell[1 + b]).load(std::memory_order_relaxed);
                    if (count == 0) continue;
                    int status = s == 0 ? 0 : h.status_codes[s - 1];
                    auto& sum = sums[{function, method, route, status}];
                    sum.function = function, sum.method = method, sum.route = route, sum.status = status;
                    sum.count += count;
                    sum.sum_seconds += static_cast<double>(std::atomic_ref<uint64_t>(cell[0]).load(std::memory_order_relaxed)) / 1e9;
                    for (size_t b = 0; b < buckets.size(); ++b) sum.buckets[b] += buckets[b];
                }
            }
        }
        munmap(map, size);
    }
    std::vector<RequestSeries> out;
    out.reserve(sums.size());
    for (auto& [key, series] : sums) out.push_back(std::move(series));
    return out;
}

}  // namespace pnptv
