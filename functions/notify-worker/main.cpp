#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run_daemon(notify_worker::daemon(), argc, argv); }
