#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(metrics::function(), argc, argv); }
