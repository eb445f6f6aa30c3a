#include "controlplane/net/ip_address.h"

#include <arpa/inet.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::net {
namespace {

using ::testing::HasSubstr;

TEST(IpAddress, ParsesBothFamiliesAndRoundTrips) {
  auto v4 = IpAddress::Parse("10.244.1.10");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->v4(), 0x0af4010au);
  EXPECT_EQ(v4->ToString(), "10.244.1.10");
  auto v6 = IpAddress::Parse("fd00::1:2");
  ASSERT_TRUE(v6.ok());
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->ToString(), "fd00::1:2");
  EXPECT_EQ(*IpAddress::Parse("10.244.1.10"), IpAddress::V4(0x0af4010a));
}

TEST(IpAddress, CanonicalV4IsWhatToStringWrites) {
  for (const char* text : {"0.0.0.0", "10.244.0.1", "192.168.100.255", "255.255.255.255"}) {
    EXPECT_TRUE(IpAddress::IsCanonicalV4(text)) << text;
    EXPECT_EQ(IpAddress::Parse(text)->ToString(), text);
  }
  // Read by Parse (or refused), but not written so: normalising them takes a parse and a write.
  for (const char* text : {"10.244.0.01", "010.1.1.1", "10.1.1", "10.1.1.256", "1.2.3.4.5", "::1", "",
                           "::ffff:10.0.0.1", " 10.0.0.1"}) {
    EXPECT_FALSE(IpAddress::IsCanonicalV4(text)) << text;
  }
}

TEST(IpAddress, MappedV4IsNotV4) {
  EXPECT_NE(*IpAddress::Parse("::ffff:10.0.0.1"), *IpAddress::Parse("10.0.0.1"));
}

TEST(IpAddress, RejectsMalformed) {
  for (const char* bad : {"", "10.244.1", "10.244.1.256", "fd00:::1", "host", "10.0.0.1 ",
                          "0123456789012345678901234567890123456789012345678"}) {
    auto a = IpAddress::Parse(bad);
    EXPECT_FALSE(a.ok()) << bad;
    EXPECT_THAT(a.status().message(), HasSubstr("malformed IP address")) << bad;
  }
}

// Parse reads canonical dotted quads itself, without inet_pton: it must accept and read exactly
// what inet_pton does.
TEST(IpAddress, V4AsInetPtonReadsIt) {
  for (const char* text : {"0.0.0.0", "255.255.255.255", "10.244.0.1", "1.2.3.04", "00.1.1.1", "0.1.1.1",
                           "1.2.3", "1..2.3", "1.2.3.4.", ".1.2.3.4", "1.2.3.4.5", "256.1.1.1", "1.2.3.1000",
                           "1.2.3.-1", "1.2.3.4a", "01.2.3.4", "100.200.250.255"}) {
    uint8_t want[4] = {};
    const bool valid = inet_pton(AF_INET, text, want) == 1;
    auto a = IpAddress::Parse(text);
    EXPECT_EQ(a.ok() && a->is_v4(), valid) << text;
    if (valid && a.ok()) {
      EXPECT_EQ(a->v4(), uint32_t{want[0]} << 24 | uint32_t{want[1]} << 16 | uint32_t{want[2]} << 8 | want[3]) << text;
      EXPECT_EQ(a->ToString(), text);
    }
  }
}

TEST(IpPrefix, ParsesAndContains) {
  auto p = IpPrefix::Parse("10.244.0.0/16");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->Contains(*IpAddress::Parse("10.244.200.1")));
  EXPECT_FALSE(p->Contains(*IpAddress::Parse("10.245.0.1")));
  EXPECT_FALSE(p->Contains(*IpAddress::Parse("fd00::1")));
  auto p6 = IpPrefix::Parse("fd00:1::/33");
  ASSERT_TRUE(p6.ok()) << p6.status();
  EXPECT_TRUE(p6->Contains(*IpAddress::Parse("fd00:1:7fff::1")));
  EXPECT_FALSE(p6->Contains(*IpAddress::Parse("fd00:1:8000::1")));
  EXPECT_TRUE(IpPrefix::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("1.2.3.4")));
  EXPECT_EQ(p->ToString(), "10.244.0.0/16");
}

TEST(IpPrefix, RejectsMalformed) {
  EXPECT_THAT(IpPrefix::Parse("10.244.0.0").status().message(), HasSubstr("no /length"));
  EXPECT_THAT(IpPrefix::Parse("10.244.0.0/33").status().message(), HasSubstr("length must be 0..32"));
  EXPECT_THAT(IpPrefix::Parse("10.244.1.0/8").status().message(), HasSubstr("host bits"));
  EXPECT_THAT(IpPrefix::Parse("x/8").status().message(), HasSubstr("bad address"));
  EXPECT_THAT(IpPrefix::Parse("10.0.0.0/ 8").status().message(), HasSubstr("length"));
}

}  // namespace
}  // namespace causeway::net
