// How plain YAML scalars read (YAML 1.2 core schema) and the JSON they become.
#include "controlplane/config/yaml_scalar.h"

#include "gtest/gtest.h"

namespace causeway::config {
namespace {

TEST(ClassifyPlain, CoreSchema) {
  for (const char* s : {"", "~", "null", "Null", "NULL"}) EXPECT_EQ(ClassifyPlain(s), PlainKind::kNull) << s;
  for (const char* s : {"true", "False", "TRUE"}) EXPECT_EQ(ClassifyPlain(s), PlainKind::kBool) << s;
  for (const char* s : {"0", "-12", "+5", "0x1F", "0o17"}) {
    EXPECT_EQ(ClassifyPlain(s), PlainKind::kInteger) << s;
  }
  for (const char* s : {"1.4", ".5", "1.", "1e3", "-2.5E-3", ".inf", "-.Inf", ".nan"}) {
    EXPECT_EQ(ClassifyPlain(s), PlainKind::kFloat) << s;
  }
  // Addresses, versions and YAML 1.1 booleans are text.
  for (const char* s : {"10.0.0.1", "1.2.3", "yes", "on", "0x", "0o8", "1e", "-", ".", "1_000", "TCP"}) {
    EXPECT_EQ(ClassifyPlain(s), PlainKind::kString) << s;
  }
}

TEST(PlainToJson, NormalisesToJsonNumbers) {
  EXPECT_EQ(PlainToJson("0x1F"), "31");
  EXPECT_EQ(PlainToJson("0o17"), "15");
  EXPECT_EQ(PlainToJson("+5"), "5");
  EXPECT_EQ(PlainToJson("-0"), "0");
  EXPECT_EQ(PlainToJson("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(PlainToJson("18446744073709551616"), std::nullopt);
  EXPECT_EQ(PlainToJson(".5"), "0.5");
  EXPECT_EQ(PlainToJson("1.4"), "1.4");
  EXPECT_EQ(PlainToJson("1."), "1");
  EXPECT_EQ(PlainToJson("1e3"), "1000");
  EXPECT_EQ(PlainToJson(".inf"), "\"Infinity\"");
  EXPECT_EQ(PlainToJson("-.inf"), "\"-Infinity\"");
  EXPECT_EQ(PlainToJson(".nan"), "\"NaN\"");
  EXPECT_EQ(PlainToJson("TRUE"), "true");
  EXPECT_EQ(PlainToJson("10.0.0.1"), std::nullopt);
  EXPECT_EQ(PlainToJson("~"), std::nullopt);
}

TEST(JsonQuote, EscapesWhatJsonNeeds) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n\t\x01"), "\"a\\\"b\\\\c\\n\\t\\u0001\"");
  EXPECT_EQ(JsonQuote("zone-ü"), "\"zone-ü\"");
}

}  // namespace
}  // namespace causeway::config
