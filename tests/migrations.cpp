// The sqitch plan in db/: deploy → revert → deploy on a database of its own, verified each way.
#define BOOST_TEST_MODULE migrations
#include <boost/test/unit_test.hpp>

#include "crypto.hpp"
#include "pg.hpp"
#include "testing.hpp"

BOOST_AUTO_TEST_CASE(deploy_revert_deploy) {
    std::string db = "pnptv_mig_" + pnptv::to_hex(pnptv::random_bytes(4));
    std::string dir = std::getenv("PNPTV_TEST_TMP");
    auto r = testing::shell("dir='" + dir + "'; pg_createdb \"$dir\" " + db +
                            "\npg_migrate \"$dir\" " + db + " deploy"
                            "\npg_migrate \"$dir\" " + db + " verify"
                            "\npg_migrate \"$dir\" " + db + " revert -y"
                            "\necho tables-after-revert=$(psql \"$(pg_url \"$dir\" " + db + ")\" -tAc "
                            "\"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'\")"
                            "\npg_migrate \"$dir\" " + db + " deploy"
                            "\npg_migrate \"$dir\" " + db + " verify");
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output.find("tables-after-revert=0") != std::string::npos, r.output);

    std::string url = testing::shell("pg_url '" + dir + "' " + db).output;
    url.erase(url.find_last_not_of('\n') + 1);
    pnptv::Pg pg(url);
    auto tables = pg.exec("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").get_int(0, 0);
    BOOST_TEST(tables == 22);
    BOOST_TEST(pg.exec("SELECT count(*) FROM plans").get_int(0, 0) == 3);
}
