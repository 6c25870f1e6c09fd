#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(health::function(), argc, argv); }
