// auth — Telegram login (widget, OAuth redirect, Mini App), logout, and "who am I".
#pragma once

#include "http.hpp"
#include "runtime.hpp"

namespace auth {

pnptv::Response handle(const pnptv::Request& request);
const pnptv::Function& function();

}  // namespace auth
