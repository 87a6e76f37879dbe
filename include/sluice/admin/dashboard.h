#pragma once
// The usage dashboard served at GET /ui: one self-contained HTML page (inline CSS and
// script, no external assets) built into the binary from src/admin/dashboard.html. It
// reads everything through the admin API with a key the user types into it.

#include <string_view>

namespace sluice::admin {

std::string_view dashboard_html();

}  // namespace sluice::admin
