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

#include "testing.hpp"

// Every target (tests/fuzz/<target>.cpp), one line each; every_target_is_replayed fails when one
// is left out.
#define FUZZ_TARGETS(X) \
    X(cookies)          \
    X(epayco)           \
    X(json_body)        \
    X(multipart)        \
    X(request_checks)   \
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
