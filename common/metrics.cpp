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
constexpr uint32_t layout_version = 2;
constexpr size_t max_routes = 96;  // pattern slots, the first for requests no route's path fits
constexpr size_t name_size = 128;
constexpr size_t method_slots = counted_methods.size() + 1;  // the last: any other
// The sum of latencies (ns), then a count per bucket: the count is their sum, so a reader never
// sees a count that disagrees with its buckets.
constexpr size_t cell_words = 1 + latency_buckets_seconds.size() + 1;

// What the file says about itself, so a reader needs none of the writer's constants.
struct FileHeader {
    char magic[8];  // written last: a file without it is half-made
    uint32_t version;
    uint32_t routes;
    uint32_t methods;
    uint32_t statuses;
    uint32_t buckets;
    char function[64];
    int32_t status_codes[counted_statuses.size()];
    double bucket_bounds[latency_buckets_seconds.size()];
    char method_names[method_slots][8];
    char route_names[max_routes][name_size];  // patterns: "/api/payment/status/:invoice"
};

size_t file_size(uint32_t routes) {
    return sizeof(FileHeader) + size_t{routes} * method_slots * (counted_statuses.size() + 1) * cell_words * 8;
}

uint64_t* cells(void* map) { return reinterpret_cast<uint64_t*>(static_cast<char*>(map) + sizeof(FileHeader)); }

// A word other processes add to (read-only mapping: a plain atomic load).
uint64_t load(const uint64_t& word) { return __atomic_load_n(&word, __ATOMIC_RELAXED); }

size_t status_index(int status) {
    auto it = std::find(counted_statuses.begin(), counted_statuses.end(), status);
    return it == counted_statuses.end() ? 0 : static_cast<size_t>(it - counted_statuses.begin()) + 1;
}

size_t method_index(std::string_view method) {
    auto it = std::find(counted_methods.begin(), counted_methods.end(), method);
    return static_cast<size_t>(it - counted_methods.begin());  // counted_methods.size(): other
}

// The distinct patterns of a table, after "-" (no route); slots[i]: route i's pattern's slot.
std::vector<std::string> route_names(const std::vector<RouteSpec>& routes, std::vector<uint32_t>& slots) {
    std::vector<std::string> names{"-"};
    for (const auto& r : routes) {
        auto it = std::find(names.begin(), names.end(), r.pattern);
        slots.push_back(static_cast<uint32_t>(it - names.begin()));
        if (it == names.end()) names.push_back(r.pattern);
    }
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
    for (auto m : counted_methods) mix(m);
    for (int s : counted_statuses) mix(std::to_string(s));
    for (double b : latency_buckets_seconds) mix(std::to_string(b));
    mix(std::to_string(layout_version));
    return fmt::format("{:016x}", h);
}

// Lays out a file whose cells are zero (fresh from ftruncate): only the header is written, so
// the cells' pages are only ever allocated by the requests that count in them.
void write_header(void* map, const std::string& function, const std::vector<std::string>& names) {
    auto* h = static_cast<FileHeader*>(map);
    std::memset(map, 0, sizeof(FileHeader));
    h->version = layout_version;
    h->routes = static_cast<uint32_t>(names.size());
    h->methods = method_slots;
    for (size_t m = 0; m < counted_methods.size(); ++m) counted_methods[m].copy(h->method_names[m], 7);
    std::string_view("other").copy(h->method_names[method_slots - 1], 7);
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
           h.routes <= max_routes && h.methods == method_slots && h.statuses == counted_statuses.size() + 1 &&
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
    std::vector<uint32_t> slots;
    std::vector<std::string> names = route_names(routes, slots);
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
    bool valid = false;
    if (static_cast<size_t>(st.st_size) == size) {
        void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
        if (map == MAP_FAILED) throw failure("can't map", path);
        valid = header_valid(*static_cast<FileHeader*>(map), size);
        munmap(map, size);
    }
    // A new file, or one a creator left half-made: emptied, sized (all zero) and laid out.
    if (!valid && (ftruncate(f.fd, 0) != 0 || ftruncate(f.fd, static_cast<off_t>(size)) != 0)) throw failure("can't size", path);
    void* map = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd, 0);
    if (map == MAP_FAILED) throw failure("can't map", path);
    if (!valid) write_header(map, function, names);
    flock(f.fd, LOCK_UN);
    return std::unique_ptr<PoolMetrics>(new PoolMetrics(path, map, size, std::move(slots)));
}

PoolMetrics::PoolMetrics(std::string path, void* map, size_t size, std::vector<uint32_t> slots)
    : path_(std::move(path)), map_(map), size_(size), slots_(std::move(slots)) {}

PoolMetrics::~PoolMetrics() { munmap(map_, size_); }

void PoolMetrics::record(int route, std::string_view method, int status, std::chrono::nanoseconds elapsed) {
    size_t slot = route >= 0 && static_cast<size_t>(route) < slots_.size() ? slots_[static_cast<size_t>(route)] : 0;
    uint64_t* cell = cells(map_) + ((slot * method_slots + method_index(method)) * (counted_statuses.size() + 1) + status_index(status)) * cell_words;
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
            const size_t count_cells = size_t{h.routes} * h.methods * h.statuses;
            for (size_t c = 0; c < count_cells; ++c) {
                const uint64_t* cell = cells(map) + c * cell_words;
                std::array<uint64_t, latency_buckets_seconds.size() + 1> buckets;
                uint64_t count = 0;
                for (size_t b = 0; b < buckets.size(); ++b) count += buckets[b] = load(cell[1 + b]);
                if (count == 0) continue;
                const size_t r = c / (size_t{h.methods} * h.statuses), m = c / h.statuses % h.methods, st = c % h.statuses;
                const std::string route(h.route_names[r], strnlen(h.route_names[r], name_size));
                const std::string method(h.method_names[m], strnlen(h.method_names[m], sizeof h.method_names[m]));
                const int status = st == 0 ? 0 : h.status_codes[st - 1];
                auto& sum = sums[{function, method, route, status}];
                sum.function = function, sum.method = method, sum.route = route, sum.status = status;
                sum.count += count;
                sum.sum_seconds += static_cast<double>(load(cell[0])) / 1e9;
                for (size_t b = 0; b < buckets.size(); ++b) sum.buckets[b] += buckets[b];
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
