#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(videos::function(), argc, argv); }
