// From an invocation to one admin API request and its printed answer. Errors end here:
// each becomes one line on stderr and a non-zero exit status.

#include "sluice/cli/commands.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "sluice/cli/reports.h"
#include "sluice/config/loader.h"

namespace sluice::cli {
namespace {

constexpr const char* kFallbackKeyEnv = "SLUICE_ADMIN_KEY";

int usage_error(const Invocation& inv, const std::string& message) {
  std::string topic = inv.help_topic.empty() ? std::string() : inv.help_topic + " ";
  std::fprintf(stderr, "sluice: %s (see sluice %s--help)\n", message.c_str(), topic.c_str());
  return 2;
}

int failure(const std::string& message) {
  std::fprintf(stderr, "sluice: %s\n", message.c_str());
  return 1;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// The config's text checked as the gateway checks it, without opening the files it
// names (CA bundles, TLS keys): the command line needs only addresses and a variable's
// name, and may run as a user who cannot read the gateway's secrets.
config::LoadResult load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad()) {
    config::LoadResult r;
    r.errors.push_back(
        {path, 0, 0, "", std::string("cannot read the file: ") + std::strerror(errno)});
    return r;
  }
  return config::load_text(text.str(), path);
}

void append_query(std::string& target, const char* name, const std::string& value) {
  if (value.empty()) return;
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += url_encode(value);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string create_body(const Invocation& inv) {
  std::string body = "{\"project\":" + json_string(inv.project);
  if (!inv.id.empty()) body += ",\"id\":" + json_string(inv.id);
  if (!inv.models.empty()) {
    body += ",\"models\":[";
    for (size_t i = 0; i < inv.models.size(); ++i)
      body += (i ? "," : "") + json_string(inv.models[i]);
    body += ']';
  }
  return body + "}";
}

const char* method_of(Action a) {
  switch (a) {
    case Action::keys_create:
      return "POST";
    case Action::keys_revoke:
      return "DELETE";
    default:
      return "GET";
  }
}

std::string command_name(const Invocation& inv) {
  switch (inv.action) {
    case Action::keys_create:
      return "keys create";
    case Action::keys_list:
      return "keys list";
    case Action::keys_revoke:
      return "keys revoke";
    default:
      return inv.help_topic;
  }
}

Rendered render(const Invocation& inv, const std::string& body, Format format) {
  if (format == Format::json) {
    return {body.empty() || body.back() != '\n' ? body + "\n" : body, {}};
  }
  const bool csv = format == Format::csv;
  switch (inv.action) {
    case Action::keys_create:
      return render_key_created(body);
    case Action::keys_list:
      return render_keys(body, csv);
    case Action::keys_revoke:
      return render_key_revoked(body);
    case Action::usage:
      return render_usage(body, csv);
    case Action::limits:
      return render_limits(body);
    case Action::breakers:
      return render_breakers(body);
    case Action::help:
      break;
  }
  return {};
}

}  // namespace

std::string url_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string request_target(const Invocation& inv) {
  switch (inv.action) {
    case Action::keys_create:
    case Action::keys_list:
      return "/admin/keys";
    case Action::keys_revoke:
      return "/admin/keys/" + url_encode(inv.id);
    case Action::usage: {
      std::string target = "/admin/usage";
      append_query(target, "from", inv.from);
      append_query(target, "to", inv.to);
      append_query(target, "group_by", join(inv.group_by));
      append_query(target, "project", inv.project);
      append_query(target, "model", inv.model);
      append_query(target, "key", inv.key);
      append_query(target, "provider", inv.provider);
      return target;
    }
    case Action::limits:
      return "/admin/limits";
    case Action::breakers:
      return "/admin/breakers";
    case Action::help:
      break;
  }
  return {};
}

std::string admin_url_from_config(const config::Config& cfg, AdminUrl& out) {
  const bool own = !cfg.admin.listen.empty();
  const std::vector<config::Listen>& list = own ? cfg.admin.listen : cfg.listen;
  const char* where = own ? "admin.listen" : "listen";
  if (list.empty()) return std::string("the config has no ") + where + " address; give --url";
  const config::Listen& l = list.front();
  if (!l.tls_cert.empty())
    return std::string("the config's ") + where +
           " uses TLS and the command line speaks plain HTTP; give --url of a plain listener";
  if (l.port == 0)
    return std::string("the config's ") + where +
           " port is 0 (chosen when the gateway starts); give --url";
  out = AdminUrl{};
  out.host = l.address;
  if (out.host.empty() || out.host == "0.0.0.0") out.host = "127.0.0.1";
  if (out.host == "::" || out.host == "[::]") out.host = "::1";
  out.port = l.port;
  return {};
}

int run_admin_command(int argc, char** argv, const char* default_config) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  ParsedCommand parsed = parse_command(args);
  Invocation& inv = parsed.invocation;
  if (!parsed.error.empty()) {
    inv.help_topic = argv[1];  // main dispatches only the four subcommand words here
    return usage_error(inv, parsed.error);
  }
  if (inv.action == Action::help) {
    std::fputs(std::string(command_help(inv.help_topic)).c_str(), stdout);
    return 0;
  }
  const std::string name = command_name(inv);

  // The config names the address and the admin key's variable. With --url and no
  // --config, a missing or broken default config is no reason to stop.
  config::LoadResult loaded;
  if (inv.config_path.empty() && !file_exists(default_config))
    loaded = config::load_text(config::default_config_text(), "<embedded>");
  else
    loaded = load_config(inv.config_path.empty() ? default_config : inv.config_path);
  const bool need_config = !inv.config_path.empty() || inv.url.empty();
  if (!loaded.errors.empty() && need_config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return failure(name + ": cannot read the config" +
                   (inv.config_path.empty() ? std::string(" (or give --url)") : std::string()));
  }
  const config::Config* cfg = loaded.config ? &*loaded.config : nullptr;

  AdminUrl url;
  if (!inv.url.empty()) {
    parse_admin_url(inv.url, url);  // checked while parsing the arguments
  } else if (std::string err = admin_url_from_config(*cfg, url); !err.empty()) {
    return failure(name + ": " + err);
  }

  std::string key_env = cfg ? cfg->admin.key_env : kFallbackKeyEnv;
  const char* key = std::getenv(key_env.c_str());
  if ((key == nullptr || *key == '\0') && key_env != kFallbackKeyEnv) {
    key = std::getenv(kFallbackKeyEnv);
    if (key && *key) key_env = kFallbackKeyEnv;
  }
  if (key == nullptr || *key == '\0')
    return failure(name + ": the admin key is not set: put it in $" + key_env +
                   " (the variable admin.key_env names)");

  AdminRequest request;
  request.method = method_of(inv.action);
  request.target = request_target(inv);
  request.bearer = key;
  if (inv.action == Action::keys_create) request.body = create_body(inv);

  AdminResponse response = send_admin_request(url, request);
  if (!response.error.empty()) return failure(name + ": " + response.error);
  if (response.status < 200 || response.status > 299) {
    std::string hint;
    if (response.status == 401)
      hint =
          " (is $" + key_env + " the key the gateway at " + to_string(url) + " was started with?)";
    return failure(name + ": the gateway answered " + std::to_string(response.status) + ": " +
                   error_message(response.body) + hint);
  }

  Format format = inv.format;
  if (format == Format::automatic) format = ::isatty(STDOUT_FILENO) ? Format::table : Format::json;
  Rendered out = render(inv, response.body, format);
  if (!out.error.empty()) return failure(name + ": " + out.error);
  std::fwrite(out.text.data(), 1, out.text.size(), stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))
    return failure(name + ": cannot write the output");
  return 0;
}

}  // namespace sluice::cli
