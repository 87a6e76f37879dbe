#include "sluice/auth/keygen.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "sluice/auth/key_hash.h"

namespace sluice::auth {
namespace {

// A JSON string literal; refuses invalid UTF-8 instead of writing broken JSON.
std::string json_string(std::string_view s, const char* what) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                    rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>
      writer(buf);
  if (!writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()))) {
    throw std::invalid_argument(std::string(what) + " is not valid UTF-8");
  }
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

std::string base62(std::string_view bytes) {
  static constexpr char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // Enough digits for any value of this many bytes: ceil(8n / log2(62)).
  const size_t width = static_cast<size_t>(std::ceil(8.0 * bytes.size() / std::log2(62.0)));
  std::vector<uint8_t> number(bytes.begin(), bytes.end());
  std::string out(width, '0');
  // Schoolbook division by 62, least significant digit first.
  for (size_t pos = width; pos-- > 0;) {
    uint32_t remainder = 0;
    for (uint8_t& byte : number) {
      uint32_t acc = remainder << 8 | byte;
      byte = static_cast<uint8_t>(acc / 62);
      remainder = acc % 62;
    }
    out[pos] = kDigits[remainder];
  }
  return out;
}

GeneratedKey generate_key(std::string_view project, std::string_view id) {
  if (project.empty()) throw std::invalid_argument("keygen needs a project");
  unsigned char random[32];
  if (RAND_bytes(random, sizeof random) != 1) {
    throw std::runtime_error("RAND_bytes failed: no key generated");
  }
  GeneratedKey out;
  out.key = std::string(kKeyPrefix) +
            base62(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
  OPENSSL_cleanse(random, sizeof random);
  out.sha256_hex = sha256_hex(out.key);
  out.project = std::string(project);
  out.id = id.empty() ? out.project + "-" + out.sha256_hex.substr(0, 8) : std::string(id);
  out.config_entry = "{\"id\": " + json_string(out.id, "id") +
                     ", \"project\": " + json_string(out.project, "project") + ", \"sha256\": \"" +
                     out.sha256_hex + "\"}";
  return out;
}

std::string keygen_output(std::string_view project, std::string_view id) {
  GeneratedKey k = generate_key(project, id);
  return k.key + "\n" + k.config_entry + "\n";
}

}  // namespace sluice::auth
