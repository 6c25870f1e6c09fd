// fuzz.hpp — what the libFuzzer targets (tests/fuzz/<target>.cpp) share: a contract that breaks
// aborts, naming the line, and a reader that cuts one input into the few choices a target makes.
//
// A target is built twice: by clang with libFuzzer (make fuzz), and by the normal compiler into
// the corpus replay suite (tests/fuzz_corpus.cpp) with LLVMFuzzerTestOneInput renamed
// fuzz_<target>. So only standard C++ here: no FuzzedDataProvider, no <regex>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace fuzz {

[[noreturn]] inline void broken(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: contract broken: %s\n", file, line, what);
    std::abort();
}

// The parser under test broke a promise: abort (libFuzzer keeps the input; the replay fails).
#define FUZZ_REQUIRE(condition) \
    ((condition) ? static_cast<void>(0) : ::fuzz::broken(#condition, __FILE__, __LINE__))

// The input, consumed from the front: a few choice bytes, then pieces of text.
class Input {
public:
    Input(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

    // The next byte (0 once the input is used up).
    uint8_t byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    // Up to the next `separator` (dropped), or everything left.
    std::string_view until(char separator) {
        const size_t at = rest_.find(separator);
        std::string_view piece = rest_.substr(0, at);
        rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
        return piece;
    }
    std::string_view rest() {
        std::string_view all = rest_;
        rest_ = {};
        return all;
    }
    bool empty() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

}  // namespace fuzz
