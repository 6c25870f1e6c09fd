/* The floor of any cold start that touches PostgreSQL, for scripts/bench-cold-start: a process
   linked with libpq as the functions are, that connects (the server starts a backend for it) and
   runs SELECT 1. With the argument "load" it exits before connecting, which measures what
   loading libpq and its closure costs by itself. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
    const char* url = getenv("DATABASE_URL");
    if (!url) return 2;
    if (argc > 1 && strcmp(argv[1], "load") == 0) return PQlibVersion() > 0 ? 0 : 1;
    PGconn* conn = PQconnectdb(url);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "%s", PQerrorMessage(conn));
        return 1;
    }
    PGresult* r = PQexec(conn, "SELECT 1");
    int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    PQfinish(conn);
    return ok ? 0 : 1;
}
