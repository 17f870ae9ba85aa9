// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host-side unit tests of clockmig's arithmetic and encoding, and a decoder
 * fuzz run with a fixed seed. Prints TAP; exits non-zero on any failure.
 * Usage: unit [fuzz-iterations]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clockmig.h"
#include "clockmig_int.h"

static int failures, cases;

#define CHECK(cond, ...) do {						\
	cases++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("not ok %d - %s:%d: %s: ", cases, __func__, __LINE__, #cond); \
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static void test_scale(void)
{
	CHECK(clockmig_scale_tsc(123456789, 1ull << 32, 32) == 123456789, "identity, AMD");
	CHECK(clockmig_scale_tsc(123456789, 1ull << 48, 48) == 123456789, "identity, Intel");
	CHECK(clockmig_scale_tsc(1000, 3ull << 46, 48) == 750, "3/4");
	/* No overflow in the product: 2^63 * 2^48 needs 111 bits. */
	CHECK(clockmig_scale_tsc(1ull << 63, 1ull << 48, 48) == 1ull << 63, "large");
	CHECK(clockmig_scale_tsc(42, 1, 0) == 42, "no scaling");
}

static void test_ticks(void)
{
	CHECK(clockmig_ns_to_ticks(16, 62500000) == 1, "one 62.5 MHz tick");
	CHECK(clockmig_ns_to_ticks(7, 62500000) == 0, "below half a tick");
	CHECK(clockmig_ns_to_ticks(8, 62500000) == 1, "half a tick rounds up");
	CHECK(clockmig_ns_to_ticks(3600ull * 1000000000, 2500000000ull) == 9000000000000ull,
	      "an hour at 2.5 GHz");
	/* 100 years at 5 GHz: the product needs more than 64 bits. */
	CHECK(clockmig_ns_to_ticks(3155760000000000000ull, 5000000000ull) ==
	      15778800000000000000ull, "no overflow in the product");
	CHECK(clockmig_ns_to_ticks(1000000000ull * 100000, 24000000) == 2400000000000ull,
	      "100000 s at 24 MHz");
	CHECK(clockmig_ns_to_ticks(125, 24000000) == 3, "125 ns at 24 MHz is 3 ticks");
	CHECK(clockmig_ns_to_ticks(0, 1000) == 0, "zero");
}

static void test_pvclock(void)
{
	/* mul 2^31, shift 1: one ns per tick. */
	struct clockmig_pvclock p = {
		.tsc_timestamp = 1000, .system_time = 5000,
		.tsc_to_system_mul = 1u << 31, .tsc_shift = 1,
	};

	CHECK(clockmig_pvclock_read(&p, 1000) == 5000, "at the reference point");
	CHECK(clockmig_pvclock_read(&p, 3000) == 7000, "1 ns per tick");
	/* shift -1, mul 2^32 - 1: just under half a ns per tick. */
	p.tsc_shift = -1;
	p.tsc_to_system_mul = 0xffffffffu;
	CHECK(clockmig_pvclock_read(&p, 1000 + 2000000) == 5000 + 999999, "negative shift");
	/* A TSC before the reference point wraps, as in the guest. */
	p.tsc_shift = 1;
	p.tsc_to_system_mul = 1u << 31;
	CHECK(clockmig_pvclock_read(&p, 999) != 4999, "guests never read before it");
}

static void test_elapsed(void)
{
	CHECK(clockmig_elapsed_ns(CLOCKMIG_CATCH_UP, 100, 350) == 250, "catch up");
	CHECK(clockmig_elapsed_ns(CLOCKMIG_FREEZE, 100, 350) == 0, "freeze");
	CHECK(clockmig_elapsed_ns(CLOCKMIG_CATCH_UP, 350, 100) == 0, "never backwards");
}

static void test_crc(void)
{
	CHECK(clockmig_crc32("123456789", 9) == 0xcbf43926u, "CRC-32 check value");
	CHECK(clockmig_crc32("", 0) == 0, "empty");
}

static struct clockmig_state sample_state(int arch)
{
	struct clockmig_state s = {
		.arch = arch, .nr_vcpus = 4, .realtime_ns = 1763700000123456789ull,
		.host_counter = 0x1122334455667788ull, .guest_counter = 0x0102030405060708ull,
		.counter_hz = arch == CLOCKMIG_ARCH_X86_64 ? 2994374000ull : 62500000,
	};

	if (arch == CLOCKMIG_ARCH_X86_64) {
		s.have = CLOCKMIG_HAVE_MASK;
		s.kvmclock_ns = 987654321012ull;
		s.tsc_offset = -123456789ull;
		s.tsc_ratio = 1ull << 32;
		s.tsc_frac_bits = 32;
		s.pvclock = (struct clockmig_pvclock){ 0xaabbccddeeff0011ull, 12345678901ull,
						       0x80000001u, -1, 3 };
	} else {
		s.have = CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_OFFSETS;
		s.voffset = s.poffset = 0xfedcba9876543210ull;
	}
	return s;
}

static void test_round_trip(void)
{
	uint8_t buf[CLOCKMIG_ENCODED_SIZE + 8], again[CLOCKMIG_ENCODED_SIZE];
	struct clockmig_state s, d;

	for (int arch = CLOCKMIG_ARCH_X86_64; arch <= CLOCKMIG_ARCH_ARM64; arch++) {
		s = sample_state(arch);
		CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_ENCODED_SIZE, "encode");
		CHECK(clockmig_decode(buf, CLOCKMIG_ENCODED_SIZE, &d) == CLOCKMIG_OK, "decode");
		CHECK(d.arch == s.arch && d.have == s.have && d.nr_vcpus == s.nr_vcpus &&
		      d.realtime_ns == s.realtime_ns && d.guest_counter == s.guest_counter &&
		      d.tsc_offset == s.tsc_offset && d.pvclock.tsc_shift == s.pvclock.tsc_shift &&
		      d.voffset == s.voffset, "round trip, arch %d", arch);
		CHECK(clockmig_encode(&d, again, sizeof(again)) == CLOCKMIG_ENCODED_SIZE &&
		      !memcmp(buf, again, sizeof(again)), "re-encoding is identical");
		CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_OK, "trailing bytes ignored");
	}
	/* The layout is little-endian whatever the host: spot-check it. */
	CHECK(!memcmp(buf, "KVMCLKMG", 8) && buf[8] == 1 && buf[9] == 0 && buf[10] == 2 &&
	      buf[14] == CLOCKMIG_ENCODED_SIZE && buf[20] == 4 && buf[24] == 0x15,
	      "layout");
	CHECK(clockmig_encode(&s, buf, CLOCKMIG_ENCODED_SIZE - 1) == CLOCKMIG_E_SPACE, "space");
}

static void recrc(uint8_t *buf)
{
	uint32_t crc = clockmig_crc32(buf, CLOCKMIG_ENCODED_SIZE - 4);

	for (int i = 0; i < 4; i++)
		buf[CLOCKMIG_ENCODED_SIZE - 4 + i] = crc >> (8 * i);
}

static void test_bad_input(void)
{
	struct clockmig_state s = sample_state(CLOCKMIG_ARCH_X86_64), d;
	uint8_t good[CLOCKMIG_ENCODED_SIZE], buf[CLOCKMIG_ENCODED_SIZE];
	int r, bad_len = 0, bad_bit = 0;

	clockmig_encode(&s, good, sizeof(good));
	for (size_t len = 0; len < sizeof(good); len++) {
		r = clockmig_decode(good, len, &d);
		bad_len += r != CLOCKMIG_E_TRUNCATED;
	}
	CHECK(!bad_len, "every truncation gives E_TRUNCATED (%d did not)", bad_len);

	for (size_t bit = 0; bit < 8 * sizeof(good); bit++) {
		memcpy(buf, good, sizeof(buf));
		buf[bit / 8] ^= 1 << (bit % 8);
		r = clockmig_decode(buf, sizeof(buf), &d);
		bad_bit += r == CLOCKMIG_OK;
	}
	CHECK(!bad_bit, "every single-bit flip is detected (%d were not)", bad_bit);

	memcpy(buf, good, sizeof(buf));
	buf[0] = 'X';
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_MAGIC, "magic");
	memcpy(buf, good, sizeof(buf));
	buf[8] = 2;
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_VERSION, "version");
	memcpy(buf, good, sizeof(buf));
	buf[100] ^= 0x40;
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CHECKSUM, "checksum");

	/* Checksum fixed up, content impossible. */
	static const struct { size_t off; uint8_t val; const char *what; } bad[] = {
		{ 10, 7, "unknown architecture" },
		{ 12, 'X', "byte order tag" },
		{ 13, 1, "reserved byte" },
		{ 16, 0x10, "unknown 'have' bit" },
		{ 18, 1, "reserved field" },
		{ 20, 0, "zero vCPUs" },
		{ 80, 64, "fractional bits" },
		{ 108, 40, "pvclock shift" },
		{ 129, 1, "trailing reserved field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(buf, good, sizeof(buf));
		buf[bad[i].off] = bad[i].val;
		recrc(buf);
		CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CORRUPT, "%s",
		      bad[i].what);
	}
	memcpy(buf, good, sizeof(buf));
	memset(buf + 48, 0, 8);
	recrc(buf);
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CORRUPT, "zero frequency");

	CHECK(clockmig_decode(NULL, 10, &d) == CLOCKMIG_E_INVAL, "NULL buffer");
	for (int code = 0; code >= CLOCKMIG_E_SPACE; code--)
		CHECK(clockmig_strerror(code) && strcmp(clockmig_strerror(code), "unknown error"),
		      "message for %d", code);
}

/* xorshift64*: the same sequence on every machine. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/*
 * Mutated valid encodings, with and without the checksum fixed up, and
 * random bytes: decode must return a known code, and whatever it accepts
 * must re-encode to the same bytes.
 */
static void test_fuzz(long iterations)
{
	uint8_t good[2][CLOCKMIG_ENCODED_SIZE], buf[CLOCKMIG_ENCODED_SIZE + 16];
	uint8_t again[CLOCKMIG_ENCODED_SIZE];
	long accepted = 0, bad_code = 0, bad_round_trip = 0;
	long by_code[16] = {};
	struct clockmig_state s, d;
	size_t len;
	int r;

	for (int a = 0; a < 2; a++) {
		s = sample_state(CLOCKMIG_ARCH_X86_64 + a);
		clockmig_encode(&s, good[a], sizeof(good[a]));
	}
	for (long i = 0; i < iterations; i++) {
		uint64_t how = rng();

		len = sizeof(good[0]);
		memcpy(buf, good[how & 1], len);
		switch ((how >> 1) % 4) {
		case 0:	/* a few random bytes */
			for (int n = 1 + (how >> 3) % 8; n; n--)
				buf[rng() % len] = rng();
			break;
		case 1:	/* the same, checksum fixed up: exercises validation */
			for (int n = 1 + (how >> 3) % 4; n; n--)
				buf[16 + rng() % (len - 20)] = rng();
			recrc(buf);
			break;
		case 2:	/* truncated or extended */
			len = rng() % sizeof(buf);
			break;
		case 3:	/* garbage */
			len = rng() % sizeof(buf);
			for (size_t k = 0; k < len; k++)
				buf[k] = rng();
			break;
		}
		memset(&d, 0xa5, sizeof(d));
		r = clockmig_decode(buf, len, &d);
		if (r > 0 || r < CLOCKMIG_E_SPACE || r == CLOCKMIG_E_KVM)
			bad_code++;
		else
			by_code[-r]++;
		if (r == CLOCKMIG_OK) {
			accepted++;
			if (clockmig_encode(&d, again, sizeof(again)) != CLOCKMIG_ENCODED_SIZE ||
			    memcmp(again, buf, sizeof(again)))
				bad_round_trip++;
		}
	}
	CHECK(!bad_code, "fuzz: %ld unexpected return codes", bad_code);
	CHECK(!bad_round_trip, "fuzz: %ld accepted inputs that do not re-encode", bad_round_trip);
	printf("# fuzz: %ld iterations, seed fixed: %ld accepted, truncated %ld, magic %ld, "
	       "version %ld, checksum %ld, corrupt %ld\n", iterations, accepted,
	       by_code[-CLOCKMIG_E_TRUNCATED], by_code[-CLOCKMIG_E_MAGIC],
	       by_code[-CLOCKMIG_E_VERSION], by_code[-CLOCKMIG_E_CHECKSUM],
	       by_code[-CLOCKMIG_E_CORRUPT]);
}

/* Notes pile up in the report without ever overflowing it. */
static void test_report(void)
{
	struct clockmig_report rep;
	size_t len;

	clockmig_report_reset(&rep);
	clockmig_note(&rep, "first %d", 1);
	CHECK(!strcmp(rep.message, "first 1"), "one note");
	clockmig_note(&rep, "second");
	CHECK(!strcmp(rep.message, "first 1; second"), "two notes");
	for (int i = 0; i < 100; i++)
		clockmig_note(&rep, "note %d, long enough to fill the buffer quickly", i);
	len = strnlen(rep.message, sizeof(rep.message));
	CHECK(len < sizeof(rep.message), "still NUL-terminated (%zu)", len);
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : 200000;

	test_scale();
	test_ticks();
	test_pvclock();
	test_elapsed();
	test_crc();
	test_report();
	test_round_trip();
	test_bad_input();
	test_fuzz(iterations);
	printf("1..%d\n# %d of %d checks passed\n", cases, cases - failures, cases);
	return failures ? 1 : 0;
}
