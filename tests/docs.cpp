// The repo explains itself, and its two readers of settings agree: the generated docs match the
// programs, env.example lists exactly what the programs and scripts read, and
// scripts/lib/settings.sh parses an env file exactly as common/settings.cpp does.
#define BOOST_TEST_MODULE docs
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "settings.hpp"
#include "testing.hpp"

namespace {

std::string write_file(const std::string& name, const std::string& text) {
    std::string path = testing::temp_dir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

// env.example with `line` removed (exactly one occurrence) and `extra` appended.
std::string edited_env_example(const std::string& line, const std::string& extra = {}) {
    std::ifstream in(testing::repo_dir() + "/env.example");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!line.empty()) {
        size_t at = text.find("\n" + line + "\n");
        BOOST_TEST_REQUIRE(at != std::string::npos, line);
        text.erase(at + 1, line.size() + 1);
    }
    return write_file("env.example", text + extra);
}

// What scripts/lib/settings.sh makes of a file: its NAME=value lines, or its error and status.
testing::ShellResult shell_pairs(const std::string& path) {
    return testing::shell("source scripts/lib/settings.sh\nenv_file_pairs '" + path + "' 2>&1 || echo \"status=$?\"");
}

std::string cpp_pairs(const std::string& text) {
    std::string out;
    for (const auto& [k, v] : pnptv::parse_env_file(text)) out += k + "=" + v + "\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(generated_docs_match_the_programs) {
    auto r = testing::shell("scripts/docs --check 2>&1");
    BOOST_TEST(r.status == 0, r.output);
}

BOOST_AUTO_TEST_CASE(env_example_lists_every_setting_read) {
    auto missing = testing::shell("scripts/docs --check --env-example '" + edited_env_example("SMTP_TIMEOUT_MS=15000") + "' 2>&1");
    BOOST_TEST(missing.status == 1);
    BOOST_TEST(missing.output.find("env.example doesn't list SMTP_TIMEOUT_MS (read by notify-worker)") != std::string::npos,
               missing.output);
}

BOOST_AUTO_TEST_CASE(env_example_lists_nothing_unread) {
    auto extra = testing::shell("scripts/docs --check --env-example '" + edited_env_example("", "NOBODY_READS_THIS=x\n") + "' 2>&1");
    BOOST_TEST(extra.status == 1);
    BOOST_TEST(extra.output.find("env.example lists NOBODY_READS_THIS, which no program and no script reads") !=
                   std::string::npos, extra.output);
}

// A setting only a script reads (scripts/backup's folder) counts as read, and must be listed too.
BOOST_AUTO_TEST_CASE(settings_only_scripts_read_count_and_must_be_listed) {
    auto missing = testing::shell("scripts/docs --check --env-example '" + edited_env_example("BACKUP_DIR=.run/backups") + "' 2>&1");
    BOOST_TEST(missing.status == 1);
    BOOST_TEST(missing.output.find("env.example doesn't list BACKUP_DIR (read by scripts/backup, scripts/systemd-units)") != std::string::npos, missing.output);
    BOOST_TEST(missing.output.find("no program and no script reads") == std::string::npos, missing.output);
    auto docs = testing::shell("grep -F '| `BACKUP_KEEP_DAILY` |' docs/settings.md");
    BOOST_TEST(docs.output.find("| `scripts/backup` |") != std::string::npos, docs.output);
}

BOOST_AUTO_TEST_CASE(the_shell_reads_env_files_as_the_programs_do) {
    const std::string text =
        "# comment\n\n  A=1\nexport B = two words \nC=\"quoted # not comment\"\nD=\nE='x'\n"
        "\tF\t=\ttabbed\t\nG=\"unbalanced'\nH=a=b\nexport    I=spaced export\nJ=\"\"\nK='\"inner\"'\r\n"
        "L=#not a comment\nM=  \"  padded  \"  \nN=\"\n";
    const std::string path = write_file("tricky.env", text);
    auto shell = shell_pairs(path);
    BOOST_TEST(shell.status == 0, shell.output);
    BOOST_TEST(shell.output == cpp_pairs(text));
    BOOST_TEST(cpp_pairs(text).find("M=  padded  \n") != std::string::npos);  // the vector means what it says
}

BOOST_AUTO_TEST_CASE(both_readers_refuse_the_same_line) {
    for (std::string bad : {"this is not a setting", "BAD-NAME=1", "=1", "export =1"}) {
        const std::string text = "A=1\n# fine\n" + bad + "\nB=2\n";
        auto shell = shell_pairs(write_file("bad.env", text));
        BOOST_TEST(shell.output.find("line 3 is not KEY=value") != std::string::npos, bad << ": " << shell.output);
        BOOST_TEST(shell.output.find("status=2") != std::string::npos, bad);
        BOOST_CHECK_EXCEPTION(pnptv::parse_env_file(text), pnptv::ConfigError, [&](const pnptv::ConfigError& e) {
            return std::string(e.what()).find("line 3 ") != std::string::npos;
        });
    }
}
