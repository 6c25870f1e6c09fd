#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run_daemon(authz_worker::daemon(), argc, argv); }
