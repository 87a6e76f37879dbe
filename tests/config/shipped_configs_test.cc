// The configs shipped in configs/ and the default built into the binary.
#include <fstream>
#include <sstream>

#include "config_test_util.h"
#include "sluice/config/key_hash.h"

namespace sluice::config::config_test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

LoadResult load_shipped(const std::string& name) {
  LoadResult r = load_file(source_dir() + "/configs/" + name);
  for (const ConfigError& e : r.errors) ADD_FAILURE() << e.to_string();
  return r;
}

TEST(ShippedConfigs, DefaultFileLoadsWithoutErrors) {
  EXPECT_TRUE(load_shipped("sluice.json").config.has_value());
}

TEST(ShippedConfigs, ExampleFileLoadsWithoutErrors) {
  EXPECT_TRUE(load_shipped("example.json").config.has_value());
}

TEST(ShippedConfigs, EmbeddedDefaultIsTheShippedFile) {
  EXPECT_EQ(default_config_text(), read_file(source_dir() + "/configs/sluice.json"));
}

TEST(ShippedConfigs, EmbeddedDefaultHasTheDocumentedContent) {
  Config c = loaded(default_config_text());
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].address, "127.0.0.1");
  EXPECT_EQ(c.listen[0].port, 8080);
  EXPECT_EQ(c.shards, 0u);
  EXPECT_EQ(c.ledger.path, "data/sluice.db");
  // The mock serves all three APIs: one provider per kind, all on port 9000.
  ASSERT_EQ(c.providers.size(), 3u);
  EXPECT_EQ(c.providers[1].kind, ProviderKind::anthropic);
  EXPECT_EQ(c.providers[2].kind, ProviderKind::gemini);
  EXPECT_EQ(c.providers[2].port, 9000);
  const Provider& mock = c.providers[0];
  EXPECT_EQ(mock.name, "mock");
  EXPECT_EQ(mock.kind, ProviderKind::openai);
  EXPECT_EQ(mock.host, "127.0.0.1");
  EXPECT_EQ(mock.port, 9000);
  EXPECT_EQ(mock.base_path, "/v1");
  ASSERT_NE(c.model("gpt-4o-mini"), nullptr);
  EXPECT_EQ(c.model("gpt-4o-mini")->targets, (std::vector<Target>{{"mock", "gpt-4o-mini", 1}}));
  EXPECT_EQ(c.model("gpt-4o-mini")->price, (Price{150'000'000, 600'000'000, 75'000'000, true}));
  ASSERT_NE(c.model("gpt-4o"), nullptr);
  EXPECT_EQ(c.model("gpt-4o")->targets, (std::vector<Target>{{"mock", "gpt-4o", 1}}));
  EXPECT_EQ(c.model("gpt-4o")->price, (Price{2'500'000'000, 10'000'000'000, 1'250'000'000, true}));
  ASSERT_EQ(c.projects.size(), 1u);
  EXPECT_EQ(c.projects[0].name, "default");
  EXPECT_TRUE(c.keys.empty());
}

TEST(ShippedConfigs, ExampleUsesEveryProviderKind) {
  Config c = load_shipped("example.json").config.value_or(Config{});
  ASSERT_NE(c.provider("openai"), nullptr);
  EXPECT_EQ(c.provider("openai")->kind, ProviderKind::openai);
  ASSERT_NE(c.provider("anthropic"), nullptr);
  EXPECT_EQ(c.provider("anthropic")->kind, ProviderKind::anthropic);
  ASSERT_NE(c.provider("gemini"), nullptr);
  EXPECT_EQ(c.provider("gemini")->kind, ProviderKind::gemini);
  EXPECT_EQ(c.provider("local")->api_key_env, "");
}

TEST(ShippedConfigs, ExampleKeysMatchTheirDocumentedSecrets) {
  Config c = load_shipped("example.json").config.value_or(Config{});
  ASSERT_NE(c.key("support-bot"), nullptr);
  EXPECT_EQ(c.key("support-bot")->sha256_hex, sha256_hex("sk-sluice-example-support-bot"));
  ASSERT_NE(c.key("dev-laptop"), nullptr);
  EXPECT_TRUE(c.key("dev-laptop")->plaintext);
}

TEST(ShippedConfigs, LoadFileAndLoadTextAgree) {
  std::string path = source_dir() + "/configs/example.json";
  LoadResult from_file = load_file(path);
  LoadResult from_text = load_text(read_file(path), path);
  ASSERT_TRUE(from_file.config && from_text.config);
  EXPECT_EQ(*from_file.config, *from_text.config);
  EXPECT_EQ(from_file.config->source, path);
}

}  // namespace
}  // namespace sluice::config::config_test
