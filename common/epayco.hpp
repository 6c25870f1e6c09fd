// epayco.hpp — ePayco's wire formats (protocols.md §5): the confirmation signature, the state
// codes, the validation lookup, and Checkout v2 sessions.
//
// The signature covers neither the state code nor the extras, and anyone who knows a reference
// can fetch its signed fields; so approvals and reversals are re-checked with ePayco's
// validation endpoint before anything acts on them (EPAYCO_VERIFY_REFERENCE, default true).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http.hpp"

namespace pnptv {

// hex(SHA-256(cust_id ^ p_key ^ ref_payco ^ transaction_id ^ amount ^ currency)), fields as received.
std::string epayco_signature(std::string_view cust_id, std::string_view p_key, std::string_view ref_payco,
                             std::string_view transaction_id, std::string_view amount, std::string_view currency);

// Our name for an ePayco state code: approved, declined, pending, failed, reversed, held,
// started, expired, abandoned, cancelled, antifraud; nullopt for a code we don't know.
std::optional<std::string> epayco_state_name(int code);
// Pending-like states may move anywhere; approved only to reversed; other finals nowhere.
bool epayco_transition_allowed(std::string_view from_state, int to_code);

struct EpaycoValidation {
    bool reachable = false;  // false: answer 503 so ePayco retries later
    bool found = false;
    Pairs fields;            // the x_ fields ePayco holds for that reference, as text
};
EpaycoValidation epayco_validate_reference(std::string_view ref_payco);

// Checkout v2: a server-created session (the amount can't be changed in the browser).
// nullopt when ePayco can't be reached or refuses.
std::optional<std::string> epayco_create_checkout_session(const Json& session_fields);

}  // namespace pnptv
