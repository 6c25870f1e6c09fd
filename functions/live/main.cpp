#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(live::function(), argc, argv); }
