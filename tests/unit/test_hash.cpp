// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Hash policies: published vectors, table/hardware paths against reference
// implementations, and bucket distribution.
#include <pktpath/hash/hash.hpp>

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

using namespace pktpath;

namespace {

struct rss_vector {
	const char *src;
	std::uint16_t sport;
	const char *dst;
	std::uint16_t dport;
	std::uint32_t ip_only;
	std::uint32_t with_ports;
};

// Microsoft's RSS verification suite ("Verifying the RSS Hash Calculation", in
// Microsoft's NDIS RSS documentation; docs/hash.md), for the default key.
const rss_vector rss_v4[] = {
	{"66.9.149.187", 2794, "161.142.100.80", 1766, 0x323e8fc2, 0x51ccc178},
	{"199.92.111.2", 14230, "65.69.140.83", 4739, 0xd718262a, 0xc626b0ea},
	{"24.19.198.95", 12898, "12.22.207.184", 38024, 0xd2d0a5de, 0x5c2b394a},
	{"38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xafc7327f},
	{"153.39.163.191", 44251, "202.188.127.2", 1303, 0x5d1809c5, 0x10e828a2},
};
const rss_vector rss_v6[] = {
	{"3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 0x2cc18cd5, 0x40207d3d},
	{"3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739, 0x0f0c461c, 0xdde51bbf},
	{"3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, "fe80::200:f8ff:fe21:67cf", 38024, 0x4b61e985, 0x02d1feef},
};

template <class Key>
Key make_key(int af, const char *src, std::uint16_t sport, const char *dst, std::uint16_t dport, bool ports)
{
	Key k{};
	REQUIRE(inet_pton(af, src, k.src) == 1);
	REQUIRE(inet_pton(af, dst, k.dst) == 1);
	k.proto = 6;
	k.flags = static_cast<std::uint8_t>(af == AF_INET ? PKTPATH_KEY_IPV4 : PKTPATH_KEY_IPV6);
	if (ports) {
		k.sport = sport; // host order, as the parser stores them
		k.dport = dport;
		k.flags |= PKTPATH_KEY_PORTS;
	}
	return k;
}

// What the NIC hashes: addresses, then ports in network order.
template <class Key>
std::vector<std::uint8_t> rss_input(const Key &k, std::size_t addr_len)
{
	std::vector<std::uint8_t> in(k.src, k.src + addr_len);
	in.insert(in.end(), k.dst, k.dst + addr_len);
	if (k.flags & PKTPATH_KEY_PORTS) {
		const std::uint8_t ports[4] = {std::uint8_t(k.sport >> 8), std::uint8_t(k.sport),
					       std::uint8_t(k.dport >> 8), std::uint8_t(k.dport)};
		in.insert(in.end(), ports, ports + 4);
	}
	return in;
}

template <class Key>
Key random_key(std::mt19937_64 &rng)
{
	Key k{};
	for (auto &b : k.src)
		b = std::uint8_t(rng());
	for (auto &b : k.dst)
		b = std::uint8_t(rng());
	k.sport = std::uint16_t(rng());
	k.dport = std::uint16_t(rng());
	k.proto = (rng() & 1) ? 6 : 17;
	k.flags = std::uint8_t((Key::addr_len == 4 ? PKTPATH_KEY_IPV4 : PKTPATH_KEY_IPV6) | PKTPATH_KEY_PORTS);
	return k;
}

pktpath_flow_key to_c(const ipv6_5tuple &k)
{
	pktpath_flow_key c;
	static_assert(sizeof(c) == sizeof(k), "same layout");
	std::memcpy(&c, &k, sizeof(c));
	return c;
}

// Pearson chi-square of `keys` hashed into 1024 buckets by the low and by
// the high 10 bits (tables use the former, shards the latter); the larger.
template <class Hash, class Key>
double chi_square_1024(const Hash &h, const std::vector<Key> &keys)
{
	std::vector<double> low(1024), high(1024);
	for (const Key &k : keys) {
		const std::uint32_t v = h(k);
		low[v & 1023u] += 1;
		high[v >> 22] += 1;
	}
	const double expect = double(keys.size()) / 1024;
	double lo = 0, hi = 0;
	for (std::size_t i = 0; i < 1024; ++i) {
		lo += (low[i] - expect) * (low[i] - expect) / expect;
		hi += (high[i] - expect) * (high[i] - expect) / expect;
	}
	return lo > hi ? lo : hi;
}

// 1023 degrees of freedom: mean 1023, sd 45.  Six sd is generous for a
// good hash and far below what a broken one scores.
constexpr double chi_bound = 1023 + 6 * 45;

struct constant_hash {
	template <class Key>
	std::uint32_t operator()(const Key &) const
	{
		return 0;
	}
};
struct first_bytes_hash { // a plausible-looking bad hash: the source address
	template <class Key>
	std::uint32_t operator()(const Key &k) const
	{
		std::uint32_t v;
		std::memcpy(&v, k.src, 4);
		return v;
	}
};

} // namespace

// The first window of the default key is its first four bytes; computed at compile time.
static_assert(microsoft_toeplitz_key.lookup(0, 0x80) == 0x6d5a56dau, "Toeplitz table is built at compile time");
static_assert(detail::crc32c_table.t[0][1] == 0xf26b8303u && detail::crc32c_table.t[0][128] == 0x82f63b78u,
	      "CRC32C table is built at compile time");

TEST_CASE("toeplitz reproduces the Microsoft RSS verification suite", "[hash][toeplitz]")
{
	const toeplitz_hash h;
	for (bool ports : {false, true}) {
		for (const auto &v : rss_v4) {
			INFO(v.src << " -> " << v.dst << " ports " << ports);
			const std::uint32_t want = ports ? v.with_ports : v.ip_only;
			const auto k4 = make_key<ipv4_5tuple>(AF_INET, v.src, v.sport, v.dst, v.dport, ports);
			const auto kany = make_key<flow_key>(AF_INET, v.src, v.sport, v.dst, v.dport, ports);
			const auto kc = make_key<pktpath_flow_key>(AF_INET, v.src, v.sport, v.dst, v.dport, ports);
			CHECK(h(k4) == want);
			CHECK(h(kany) == want);
			CHECK(h(kc) == want);
			const auto in = rss_input(k4, 4);
			CHECK(h.bytes(in.data(), in.size()) == want);
			CHECK(toeplitz_reference(microsoft_rss_key, sizeof(microsoft_rss_key), in.data(), in.size()) ==
			      want);
		}
		for (const auto &v : rss_v6) {
			INFO(v.src << " -> " << v.dst << " ports " << ports);
			const std::uint32_t want = ports ? v.with_ports : v.ip_only;
			const auto k6 = make_key<ipv6_5tuple>(AF_INET6, v.src, v.sport, v.dst, v.dport, ports);
			const auto kany = make_key<flow_key>(AF_INET6, v.src, v.sport, v.dst, v.dport, ports);
			const auto kc = make_key<pktpath_flow_key>(AF_INET6, v.src, v.sport, v.dst, v.dport, ports);
			CHECK(h(k6) == want);
			CHECK(h(kany) == want);
			CHECK(h(kc) == want);
			const auto in = rss_input(k6, 16);
			CHECK(h.bytes(in.data(), in.size()) == want);
			CHECK(toeplitz_reference(microsoft_rss_key, sizeof(microsoft_rss_key), in.data(), in.size()) ==
			      want);
		}
	}
}

TEST_CASE("toeplitz hashes only what a NIC hashes", "[hash][toeplitz]")
{
	std::mt19937_64 rng(1);
	const toeplitz_hash h;
	auto k = random_key<ipv4_5tuple>(rng);
	const std::uint32_t base = h(k);

	auto other = k; // VLAN and protocol are not RSS input
	other.vlan = 42;
	other.proto = 17;
	CHECK(h(other) == base);

	auto noports = k; // without the flag the ports are ignored
	noports.flags &= std::uint8_t(~PKTPATH_KEY_PORTS);
	auto noports2 = noports;
	noports2.sport ^= 0x1234;
	CHECK(h(noports) == h(noports2));
	CHECK(h(noports) != base);

	// A family-agnostic IPv4 key hashes 4-byte addresses, like the IPv4 key.
	flow_key fk{};
	std::memcpy(fk.src, k.src, 4);
	std::memcpy(fk.dst, k.dst, 4);
	fk.sport = k.sport;
	fk.dport = k.dport;
	fk.flags = k.flags;
	CHECK(h(fk) == base);
	ipv6_5tuple k6 = random_key<ipv6_5tuple>(rng);
	flow_key fk6{};
	REQUIRE(fk6.assign(to_c(k6)));
	CHECK(h(fk6) == h(k6));
}

TEST_CASE("toeplitz tables agree with the bitwise definition", "[hash][toeplitz]")
{
	std::mt19937_64 rng(2);
	for (int round = 0; round < 200; ++round) {
		std::uint8_t key_bytes[toeplitz_key::max_size];
		const std::size_t key_len = 4 + rng() % (toeplitz_key::max_size - 3); // 4..52
		for (auto &b : key_bytes)
			b = std::uint8_t(rng());
		const auto key = std::make_unique<toeplitz_key>(key_bytes, key_len); // 48 KiB: not on the stack
		const toeplitz_hash h(*key);

		std::uint8_t in[toeplitz_key::max_input];
		for (auto &b : in)
			b = std::uint8_t(rng());
		const std::size_t len = rng() % (toeplitz_key::max_input + 1);
		INFO("key_len " << key_len << " len " << len);
		CHECK(h.bytes(in, len) == toeplitz_reference(key_bytes, key_len, in, len));

		const auto k4 = random_key<ipv4_5tuple>(rng);
		const auto in4 = rss_input(k4, 4);
		CHECK(h(k4) == toeplitz_reference(key_bytes, key_len, in4.data(), in4.size()));
		const auto k6 = random_key<ipv6_5tuple>(rng);
		const auto in6 = rss_input(k6, 16);
		CHECK(h(k6) == toeplitz_reference(key_bytes, key_len, in6.data(), in6.size()));
	}
}

TEST_CASE("toeplitz user key round trip", "[hash][toeplitz]")
{
	// The Microsoft key supplied by the user gives the default results.
	static const toeplitz_key same(microsoft_rss_key, sizeof(microsoft_rss_key));
	REQUIRE(same.size() == 40);
	CHECK(std::memcmp(same.data(), microsoft_rss_key, 40) == 0);
	const toeplitz_hash h(same);
	CHECK(&h.key() == &same);
	CHECK(toeplitz_hash().key().size() == 40);
	const auto k =
		make_key<ipv4_5tuple>(AF_INET, rss_v4[0].src, rss_v4[0].sport, rss_v4[0].dst, rss_v4[0].dport, true);
	CHECK(h(k) == rss_v4[0].with_ports);

	// A different key (the 0x6d5a-repeating symmetric one) gives other values,
	// the same for both directions of a flow.
	std::uint8_t sym[40];
	for (std::size_t i = 0; i < sizeof(sym); i += 2) {
		sym[i] = 0x6d;
		sym[i + 1] = 0x5a;
	}
	static const toeplitz_key symkey(sym);
	const toeplitz_hash hs(symkey);
	CHECK(std::memcmp(hs.key().data(), sym, sizeof(sym)) == 0);
	auto rev = k;
	std::memcpy(rev.src, k.dst, 4);
	std::memcpy(rev.dst, k.src, 4);
	rev.sport = k.dport;
	rev.dport = k.sport;
	CHECK(hs(k) != h(k));
	CHECK(hs(k) == hs(rev));
	CHECK(h(k) != h(rev));

	// Functor copies share the key: cheap to pass by value.
	const toeplitz_hash copy = hs;
	CHECK(copy(k) == hs(k));
	STATIC_REQUIRE(sizeof(toeplitz_hash) == sizeof(void *));
}

TEST_CASE("crc32c known vectors", "[hash][crc32c]")
{
	std::uint8_t zeros[32] = {}, ones[32], up[32], down[32];
	for (int i = 0; i < 32; ++i) {
		ones[i] = 0xff;
		up[i] = std::uint8_t(i);
		down[i] = std::uint8_t(31 - i);
	}
	const char check[] = "123456789";
	struct {
		const void *p;
		std::size_t n;
		std::uint32_t want;
	} const vectors[] = {
		{check, 9, 0xe3069283u},  // the CRC catalogue check value
		{zeros, 32, 0x8a9136aau}, // RFC 3720 B.4
		{ones, 32, 0x62a8ab43u},  {up, 32, 0x46dd794eu}, {down, 32, 0x113fdb5cu}, {check, 0, 0u},
	};
	for (const auto &v : vectors) {
		INFO("len " << v.n);
		CHECK(crc32c(v.p, v.n) == v.want);
		CHECK(crc32c_software(v.p, v.n) == v.want);
		CHECK(crc32c_hash().bytes(v.p, v.n) == v.want);
#ifdef PKTPATH_CRC32C_HW
		if (crc32c_hardware_available())
			CHECK(crc32c_hardware(v.p, v.n) == v.want);
#endif
	}
	// Chaining: the CRC of a then b from the CRC of a.
	CHECK(crc32c(check + 4, 5, crc32c(check, 4)) == 0xe3069283u);
	CHECK(crc32c_software(check + 1, 8, crc32c_software(check, 1)) == 0xe3069283u);
}

TEST_CASE("crc32c hardware and table give identical results", "[hash][crc32c]")
{
#ifdef PKTPATH_CRC32C_HW
	if (!crc32c_hardware_available()) {
		WARN("CPU without SSE4.2: hardware path not testable here");
		return;
	}
	std::mt19937_64 rng(3);
	std::vector<std::uint8_t> buf(4096 + 16);
	for (auto &b : buf)
		b = std::uint8_t(rng());
	for (int i = 0; i < 20000; ++i) {
		const std::size_t align = rng() % 16;
		const std::size_t len = (i % 4 == 0) ? rng() % 4096 : rng() % 80; // keys are short
		const auto seed = std::uint32_t(rng());
		const std::uint32_t sw = crc32c_software(buf.data() + align, len, seed);
		if (crc32c_hardware(buf.data() + align, len, seed) != sw) {
			FAIL("mismatch at align " << align << " len " << len << " seed " << seed);
		}
		CHECK(crc32c(buf.data() + align, len, seed) == sw);
	}
	const auto k = random_key<ipv6_5tuple>(rng);
	CHECK(crc32c_hash(7)(k) == crc32c_software(&k, sizeof(k), 7));
	CHECK(crc32c_hash(7)(k) != crc32c_hash()(k));
#else
	WARN("not x86-64 GCC/Clang: software CRC32C only");
#endif
}

TEST_CASE("fast_hash wraps fast.h and backs std::hash", "[hash][fast]")
{
	std::mt19937_64 rng(4);
	const auto k4 = random_key<ipv4_5tuple>(rng);
	const auto k6 = random_key<ipv6_5tuple>(rng);
	CHECK(fast_hash()(k4) == pktpath_hash_fast32(&k4, sizeof(k4), 0));
	CHECK(fast_hash(99)(k6) == pktpath_hash_fast32(&k6, sizeof(k6), 99));
	CHECK(fast_hash(99)(k6) != fast_hash()(k6));
	CHECK(std::hash<ipv4_5tuple>()(k4) == fast_hash()(k4));
	CHECK(std::hash<ipv6_5tuple>()(k6) == fast_hash()(k6));

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	// Pinned: a kernel module and userspace built from different releases
	// must still place keys alike, so changing these values is a decision.
	const std::uint8_t zeros[40] = {};
	CHECK(pktpath_hash_fast32("123456789", 9, 0) == 0x14eecf3cu);
	CHECK(pktpath_hash_fast32("123456789", 9, 1) == 0x3c2e4e6du);
	CHECK(pktpath_hash_fast64(zeros, sizeof(zeros), 0) == 0x23a7fb2e576ce139ull);
#endif

	std::unordered_set<flow_key> set;
	std::vector<flow_key> keys;
	for (int i = 0; i < 1000; ++i) {
		flow_key k{};
		REQUIRE(k.assign(to_c(random_key<ipv6_5tuple>(rng))));
		keys.push_back(k);
		set.insert(k);
	}
	CHECK(set.size() == keys.size());
	for (const auto &k : keys)
		CHECK(set.count(k) == 1);
	auto absent = keys[0];
	absent.sport ^= 1;
	CHECK(set.count(absent) == 0);
}

TEMPLATE_TEST_CASE("hash policies are deterministic and see every hashed field", "[hash]", fast_hash, crc32c_hash,
		   toeplitz_hash)
{
	std::mt19937_64 rng(5);
	const TestType h{};
	const TestType copy = h;
	for (int i = 0; i < 100; ++i) {
		const auto k = random_key<ipv6_5tuple>(rng);
		auto same = k;
		CHECK(h(k) == copy(same));
		// Flipping any one address or port bit changes the value: CRC and
		// Toeplitz are linear and no key window is zero; the fast hash mixes
		// bijectively to 64 bits, so its 32-bit fold collides with p = 2^-32.
		const std::size_t bit = rng() % (36 * 8); // src, dst, sport, dport
		auto *bytes = reinterpret_cast<std::uint8_t *>(&same);
		bytes[bit / 8] ^= std::uint8_t(1u << (bit % 8));
		INFO("bit " << bit);
		CHECK(h(same) != h(k));
	}
}

TEMPLATE_TEST_CASE("hash policies spread keys evenly over buckets", "[hash]", fast_hash, crc32c_hash, toeplitz_hash)
{
	std::mt19937_64 rng(6);
	const TestType h{};
	std::vector<ipv4_5tuple> v4(65536);
	std::vector<ipv6_5tuple> v6(65536);
	for (auto &k : v4)
		k = random_key<ipv4_5tuple>(rng);
	for (auto &k : v6)
		k = random_key<ipv6_5tuple>(rng);
	CHECK(chi_square_1024(h, v4) < chi_bound);
	CHECK(chi_square_1024(h, v6) < chi_bound);

	// One client, one server, every source port: the common worst case.
	std::vector<ipv4_5tuple> ports(65536, random_key<ipv4_5tuple>(rng));
	for (std::size_t i = 0; i < ports.size(); ++i)
		ports[i].sport = std::uint16_t(i);
	CHECK(chi_square_1024(h, ports) < chi_bound);
}

TEST_CASE("the distribution check fails broken hashes", "[hash]")
{
	std::mt19937_64 rng(7);
	std::vector<ipv4_5tuple> keys(65536);
	for (auto &k : keys)
		k = random_key<ipv4_5tuple>(rng);
	CHECK(chi_square_1024(constant_hash(), keys) > chi_bound);
	// Source-only: the same source (one client) lands in one bucket.
	std::vector<ipv4_5tuple> ports(65536, keys[0]);
	for (std::size_t i = 0; i < ports.size(); ++i)
		ports[i].sport = std::uint16_t(i);
	CHECK(chi_square_1024(first_bytes_hash(), ports) > chi_bound);
}
