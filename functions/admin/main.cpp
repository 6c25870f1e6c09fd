#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(admin::function(), argc, argv); }
