// The fuzz targets' committed inputs, replayed without clang: every file of
// tests/fuzz/corpus/<target>/ (which must exist and hold at least one) and of
// tests/fuzz/regressions/<target>/ (crash reproducers, when there are any) goes through the
// target's LLVMFuzzerTestOneInput, compiled into this binary by the normal compiler as
// fuzz_<target> (the Makefile renames each; `make asan` replays them under ASan + UBSan). A target
// aborts when a parser breaks its contract, which fails the case with the input as its last
// checkpoint. `make fuzz` is where new inputs are searched for (tests/fuzz/fuzz.hpp).
#define BOOST_TEST_MODULE fuzz_corpus
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "fuzz/route_table.hpp"
#include "testing.hpp"

// Every target (tests/fuzz/<target>.cpp), one line each; every_target_is_replayed fails when one
// is left out.
#define FUZZ_TARGETS(X) \
    X(cookies)          \
    X(epayco)           \
    X(json_body)        \
    X(multipart)        \
    X(router)           \
    X(telegram_auth)    \
    X(telegram_update)  \
    X(urlencoded)

#define DECLARE_TARGET(name) extern "C" int fuzz_##name(const uint8_t* data, size_t size);
FUZZ_TARGETS(DECLARE_TARGET)

namespace fs = std::filesystem;

namespace {

using Target = int (*)(const uint8_t*, size_t);

#define LIST_TARGET(name) {#name, fuzz_##name},
const std::vector<std::pair<std::string, Target>> targets = {FUZZ_TARGETS(LIST_TARGET)};

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file()) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every input of the target's corpus (required) and regressions (optional).
void replay(const std::string& name, Target run) {
    const fs::path root = fs::path(testing::repo_dir()) / "tests/fuzz";
    const auto corpus = files_in(root / "corpus" / name);
    BOOST_TEST_REQUIRE(!corpus.empty(), "tests/fuzz/corpus/" << name << "/ is missing or empty: seed it with real inputs");
    size_t ran = 0;
    for (const auto& dir : {root / "corpus" / name, root / "regressions" / name}) {
        for (const auto& path : files_in(dir)) {
            const std::string input = read_file(path);
            BOOST_TEST_CHECKPOINT(path.string());  // what a crash inside the target reports
            const int status = run(reinterpret_cast<const uint8_t*>(input.data()), input.size());
            BOOST_TEST(status == 0, path.string());
            ++ran;
        }
    }
    BOOST_TEST_MESSAGE(name << ": " << ran << " inputs");
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_target_is_replayed) {
    std::set<std::string> sources, listed;
    for (const auto& path : files_in(fs::path(testing::repo_dir()) / "tests/fuzz"))
        if (path.extension() == ".cpp") sources.insert(path.stem().string());
    for (const auto& [name, _] : targets) listed.insert(name);
    BOOST_TEST((sources == listed), "tests/fuzz/*.cpp and this suite's list of targets differ");
}

#define REPLAY_TARGET(name) \
    BOOST_AUTO_TEST_CASE(name) { replay(#name, fuzz_##name); }
FUZZ_TARGETS(REPLAY_TARGET)

// The router target matches against a copy of the route tables (tests/fuzz/route_table.hpp):
// it must be docs/routes.md's, which the docs suite holds to the programs.
BOOST_AUTO_TEST_CASE(router_target_has_the_documented_routes) {
    const std::string file = read_file(fs::path(testing::repo_dir()) / "docs/routes.md");
    const size_t table = file.find("\n## The table\n");
    BOOST_TEST_REQUIRE(table != std::string::npos);
    const std::string doc = file.substr(table, file.find("\n## ", table + 1) - table);
    std::vector<std::string> documented, copied;
    for (size_t at = doc.find("\n| `"); at != std::string::npos; at = doc.find("\n| `", at + 1)) {
        const std::string line = doc.substr(at + 1, doc.find('\n', at + 1) - at - 1);
        // "| `f` | `M` | `/p` | 123 | …": the first three code spans and the body size.
        std::vector<std::string> cells;
        size_t pos = 0;
        for (int i = 0; i < 4; ++i) {
            const size_t bar = line.find('|', pos);
            const size_t next = line.find('|', bar + 1);
            if (bar == std::string::npos || next == std::string::npos) break;
            std::string cell = line.substr(bar + 1, next - bar - 1);
            cell.erase(0, cell.find_first_not_of(" `"));
            cell.erase(cell.find_last_not_of(" `") + 1);
            cells.push_back(cell);
            pos = next;
        }
        if (cells.size() == 4) documented.push_back(cells[0] + " " + cells[1] + " " + cells[2] + " " + cells[3]);
    }
    for (const auto& r : fuzz::documented_routes)
        copied.push_back(std::string(r.function) + " " + r.method + " " + r.pattern + " " + std::to_string(r.max_body));
    BOOST_TEST_REQUIRE(!documented.empty());
    BOOST_TEST((documented == copied), "tests/fuzz/route_table.hpp is not docs/routes.md's table: copy its rows over");
}
