#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(profile::function(), argc, argv); }
