// sluice: the gateway binary. Setup may throw; everything is caught here.

#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "sluice/auth/keygen.h"
#include "sluice/cli/commands.h"
#include "sluice/cli/ledger_export.h"
#include "sluice/config/loader.h"
#include "sluice/core/event_loop.h"
#include "sluice/core/log.h"
#include "sluice/server/process.h"

namespace {

constexpr const char* kDefaultConfig = "configs/sluice.json";

void print_help() {
  std::printf(
      "sluice %s: an LLM API gateway\n\n"
      "usage:\n"
      "  sluice [--config FILE]                 run the gateway (default FILE: %s;\n"
      "                                         the embedded default when it is absent)\n"
      "  sluice --check-config [--config FILE]  validate and exit: 0 when valid; 1 with every\n"
      "                                         error as FILE:LINE:COLUMN: /json/pointer: message\n"
      "  sluice keygen --project NAME [--id ID] mint a virtual key\n"
      "  sluice keys create|list|revoke ...     run-time keys through a running gateway\n"
      "  sluice usage | limits | breakers       its reports (sluice usage --help)\n"
      "  sluice ledger export [--from T] [--to T] [--format csv|jsonl] [--output FILE]\n"
      "                                         the ledger's rows (see sluice ledger export "
      "--help)\n"
      "  sluice --version | --help\n",
      SLUICE_VERSION, kDefaultConfig);
}

bool file_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

int usage_error(const char* msg) {
  std::fprintf(stderr, "sluice: %s (see sluice --help)\n", msg);
  return 2;
}

}  // namespace

// sluice keygen --project NAME [--id ID]
int keygen(int argc, char** argv) {
  std::string project, id;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--project" || a == "--id") && i + 1 < argc) {
      (a == "--project" ? project : id) = argv[++i];
    } else {
      return usage_error(("keygen: unknown argument: " + a).c_str());
    }
  }
  if (project.empty()) return usage_error("keygen needs --project NAME");
  try {
    std::fputs(sluice::auth::keygen_output(project, id).c_str(), stdout);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice keygen: %s\n", e.what());
    return 1;
  }
}

int main(int argc, char** argv) {
  using namespace sluice;
  if (argc > 1 && std::strcmp(argv[1], "keygen") == 0) return keygen(argc, argv);
  if (argc > 1 && cli::is_admin_command(argv[1]))
    return cli::run_admin_command(argc, argv, kDefaultConfig);
  if (argc > 1 && std::strcmp(argv[1], "ledger") == 0) return cli::ledger_command(argc, argv);
  std::string config_path;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      print_help();
      return 0;
    } else if (a == "--version") {
      std::printf("sluice %s\n", SLUICE_VERSION);
      return 0;
    } else if (a == "--check-config") {
      check = true;
    } else if (a == "--config" || a == "-c") {
      if (i + 1 >= argc) return usage_error("--config needs a file");
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else {
      return usage_error(("unknown argument: " + a).c_str());
    }
  }

  config::LoadResult loaded;
  if (config_path.empty() && !file_exists(kDefaultConfig)) {
    loaded = config::load_text(config::default_config_text(), "<embedded>");
  } else {
    if (config_path.empty()) config_path = kDefaultConfig;
    loaded = config::load_file(config_path);
  }
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 1;
  }
  if (check) {
    std::printf("%s: valid\n", loaded.config->source.c_str());
    return 0;
  }
  try {
    SLUICE_LOG_INFO("sluice %s starting with config %s", SLUICE_VERSION,
                    loaded.config->source.c_str());
    return server::run_gateway(std::make_shared<const config::Config>(std::move(*loaded.config)));
  } catch (const core::RingSetupError& e) {
    SLUICE_LOG_ERROR("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    SLUICE_LOG_ERROR("fatal: %s", e.what());
    return 1;
  }
}
