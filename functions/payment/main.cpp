#include "handler.hpp"

int main(int argc, char** argv) { return pnptv::run(payment::function(), argc, argv); }
