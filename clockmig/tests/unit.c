// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Host-side unit tests of clockmig: its arithmetic and encoding, a decoder
 * fuzz run with a fixed seed, and (fake_tests.c) its ioctl sequences
 * against a fake KVM with failures injected. Prints TAP; exits non-zero
 * on any failure.
 * Usage: unit [fuzz-iterations]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clockmig.h"
#include "clockmig_int.h"
#include "test.h"

int failures, cases;

static void test_scale(void)
{
	CHECK(clockmig_scale_tsc(123456789, 1ull << 32, 32) == 123456789, "identity, AMD");
	CHECK(clockmig_scale_tsc(123456789, 1ull << 48, 48) == 123456789, "identity, Intel");
	CHECK(clockmig_scale_tsc(1000, 3ull << 46, 48) == 750, "3/4");
	/* No overflow in the product: 2^63 * 2^48 needs 111 bits. */
	CHECK(clockmig_scale_tsc(1ull << 63, 1ull << 48, 48) == 1ull << 63, "large");
	CHECK(clockmig_scale_tsc(UINT64_MAX, 1ull << 47, 48) == UINT64_MAX >> 1, "max, 1/2");
	CHECK(clockmig_scale_tsc(42, 1, 0) == 42, "no scaling");
	CHECK(clockmig_scale_tsc(0, 3ull << 47, 48) == 0, "zero");
	/* The offset is the inverse: guest TSC at host TSC, modulo 2^64. */
	CHECK(clockmig_tsc_offset(5, 1000, 3ull << 46, 48) == 5 - 750ull, "offset below zero");
	CHECK(clockmig_scale_tsc(1000, 3ull << 46, 48) +
	      clockmig_tsc_offset(5, 1000, 3ull << 46, 48) == 5, "offset gives the target");
	CHECK(clockmig_counter_offset(100, 250) == (uint64_t)-150, "arm64 offset wraps");
}

static void test_ticks(void)
{
	CHECK(clockmig_ns_to_ticks(0, 1000) == 0, "zero");
	CHECK(clockmig_ns_to_ticks(1, 1000000000) == 1, "1 ns at 1 GHz");
	CHECK(clockmig_ns_to_ticks(1, 1) == 0, "1 ns at 1 Hz");
	CHECK(clockmig_ns_to_ticks(16, 62500000) == 1, "one 62.5 MHz tick");
	CHECK(clockmig_ns_to_ticks(7, 62500000) == 0, "below half a tick");
	CHECK(clockmig_ns_to_ticks(9, 62500000) == 1, "above half a tick");
	/* Exactly half a tick: to even, so that ties do not all go one way. */
	CHECK(clockmig_ns_to_ticks(8, 62500000) == 0, "half a tick to even (0)");
	CHECK(clockmig_ns_to_ticks(24, 62500000) == 2, "one and a half ticks to even (2)");
	CHECK(clockmig_ns_to_ticks(500000000, 1) == 0 && clockmig_ns_to_ticks(1500000000, 1) == 2,
	      "half seconds at 1 Hz");
	CHECK(clockmig_ns_to_ticks(125, 24000000) == 3, "125 ns at 24 MHz is 3 ticks");
	/* Past 2^32 ns (4.29 s): the arm64 high-word case. */
	CHECK(clockmig_ns_to_ticks(5000000000ull, 24000000) == 120000000, "5 s at 24 MHz");
	CHECK(clockmig_ns_to_ticks((1ull << 32) + 1, 1000000000) == (1ull << 32) + 1,
	      "2^32 + 1 ns at 1 GHz");
	CHECK(clockmig_ns_to_ticks(4294967296000ull, 62500000) == 268435456000ull,
	      "4295 s at 62.5 MHz");
	CHECK(clockmig_ns_to_ticks(3600ull * 1000000000, 2500000000ull) == 9000000000000ull,
	      "an hour at 2.5 GHz");
	/* 100 years at 5 GHz: the product needs more than 64 bits. */
	CHECK(clockmig_ns_to_ticks(3155760000000000000ull, 5000000000ull) ==
	      15778800000000000000ull, "no overflow in the product");
	CHECK(clockmig_ns_to_ticks(UINT64_MAX, 1000000000) == UINT64_MAX, "max at 1 GHz");
	CHECK(clockmig_ns_to_ticks(UINT64_MAX, 5000000000ull) == UINT64_MAX, "saturates");
	CHECK(clockmig_ns_to_ticks(UINT64_MAX, 1) == 18446744074ull, "max at 1 Hz");
	CHECK(clockmig_ns_to_ticks(123456, 0) == 0, "no frequency");
}

static void test_ticks_to_ns(void)
{
	CHECK(clockmig_ticks_to_ns(0, 24000000) == 0, "zero");
	CHECK(clockmig_ticks_to_ns(3, 24000000) == 125, "3 ticks at 24 MHz");
	CHECK(clockmig_ticks_to_ns(-3, 24000000) == -125, "negative, symmetric");
	CHECK(clockmig_ticks_to_ns(1, 3000000000ull) == 0 && clockmig_ticks_to_ns(2, 3000000000ull) == 1,
	      "a third and two thirds of a ns");
	CHECK(clockmig_ticks_to_ns(INT64_MIN, 1000000000) == INT64_MIN, "min at 1 GHz");
	CHECK(clockmig_ticks_to_ns(INT64_MAX, 1) == INT64_MAX, "saturates");
	CHECK(clockmig_ticks_to_ns(12345, 0) == 0, "no frequency");
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
	/*
	 * A TSC before the reference point wraps, as in the guest: the delta
	 * is 2^64 - 1, shifted to 2^64 - 2, times 2^31 >> 32.
	 */
	p.tsc_shift = 1;
	p.tsc_to_system_mul = 1u << 31;
	CHECK(clockmig_pvclock_read(&p, 999) == 5000 + (1ull << 63) - 1, "before it: %llu",
	      (unsigned long long)clockmig_pvclock_read(&p, 999));
	/* The largest shift and multiplier. */
	p.tsc_shift = 32;
	p.tsc_to_system_mul = 0xffffffffu;
	CHECK(clockmig_pvclock_read(&p, 1001) == 5000 + 0xffffffffull, "shift 32");
	p.tsc_shift = -32;
	CHECK(clockmig_pvclock_read(&p, 1000 + (3ull << 32)) == 5000 + 2, "shift -32");
}

static void test_elapsed(void)
{
	uint64_t t = 0;

	CHECK(clockmig_elapsed_ns(100, 350) == 250, "forward");
	CHECK(clockmig_elapsed_ns(350, 100) == 0, "never backwards");
	CHECK(clockmig_elapsed_ns(0, UINT64_MAX) == UINT64_MAX, "max");
	CHECK(!clockmig_catch_up_target(1000, 24000000, 100, 100 + 5000000000ull, &t) &&
	      t == 1000 + 120000000, "catch up 5 s at 24 MHz");
	CHECK(!clockmig_catch_up_target(1000, 24000000, 500, 100, &t) && t == 1000,
	      "negative elapsed: the counter stays");
	CHECK(clockmig_catch_up_target(UINT64_MAX - 10, 1000000000, 0, 11, &t) == CLOCKMIG_E_INVAL,
	      "past 2^64");
	CHECK(!clockmig_catch_up_target(UINT64_MAX - 10, 1000000000, 0, 10, &t) &&
	      t == UINT64_MAX, "up to 2^64 - 1");
	/* 56 years at 24 MHz, what a realtime of 0 would add, still fits: flags must catch it. */
	CHECK(!clockmig_catch_up_target(0, 24000000, 0, 1763700000000000000ull, &t) &&
	      t == 42328800000000000ull, "56 years");
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
		.host_counter = 0x1122334455667788ull,
		.counter_hz = arch == CLOCKMIG_ARCH_X86_64 ? 2994374000ull : 62500000,
	};

	if (arch == CLOCKMIG_ARCH_X86_64) {
		s.have = CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME |
			 CLOCKMIG_HAVE_CLOCK_GUEST;
		s.kvmclock_ns = 987654321012ull;
		s.tsc_offset = -123456789ull;
		s.tsc_ratio = 3ull << 46;
		s.tsc_frac_bits = 48;
		s.guest_counter = clockmig_scale_tsc(s.host_counter, s.tsc_ratio, s.tsc_frac_bits) +
				  s.tsc_offset;
		s.pvclock = (struct clockmig_pvclock){ 0xaabbccddeeff0011ull, 12345678901ull,
						       0x80000001u, -1, 1 };
	} else {
		s.have = CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME | CLOCKMIG_HAVE_PHYS;
		s.guest_counter = 0x0102030405060708ull;
		s.guest_phys_counter = 0x1122334455667788ull;
	}
	return s;
}

/* Field by field: the structures have padding. */
static bool same_state(const struct clockmig_state *a, const struct clockmig_state *b)
{
	return a->arch == b->arch && a->have == b->have && a->nr_vcpus == b->nr_vcpus &&
	       a->realtime_ns == b->realtime_ns && a->host_counter == b->host_counter &&
	       a->counter_hz == b->counter_hz && a->guest_counter == b->guest_counter &&
	       a->guest_phys_counter == b->guest_phys_counter &&
	       a->kvmclock_ns == b->kvmclock_ns && a->tsc_offset == b->tsc_offset &&
	       a->tsc_ratio == b->tsc_ratio && a->tsc_frac_bits == b->tsc_frac_bits &&
	       a->pvclock.tsc_timestamp == b->pvclock.tsc_timestamp &&
	       a->pvclock.system_time == b->pvclock.system_time &&
	       a->pvclock.tsc_to_system_mul == b->pvclock.tsc_to_system_mul &&
	       a->pvclock.tsc_shift == b->pvclock.tsc_shift &&
	       a->pvclock.flags == b->pvclock.flags;
}

static void test_round_trip(void)
{
	uint8_t buf[CLOCKMIG_ENCODED_SIZE + 8], again[CLOCKMIG_ENCODED_SIZE];
	struct clockmig_state s, d;

	for (int arch = CLOCKMIG_ARCH_X86_64; arch <= CLOCKMIG_ARCH_ARM64; arch++) {
		s = sample_state(arch);
		CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_ENCODED_SIZE, "encode");
		CHECK(clockmig_decode(buf, CLOCKMIG_ENCODED_SIZE, &d) == CLOCKMIG_OK, "decode");
		CHECK(same_state(&s, &d), "round trip, arch %d", arch);
		CHECK(clockmig_encode(&d, again, sizeof(again)) == CLOCKMIG_ENCODED_SIZE &&
		      !memcmp(buf, again, sizeof(again)), "re-encoding is identical");
		CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_OK, "trailing bytes ignored");
	}
	/* The layout is little-endian whatever the host: spot-check it. */
	CHECK(!memcmp(buf, "KVMCLKMG", 8) && buf[8] == 2 && buf[9] == 0 && buf[10] == 2 &&
	      buf[12] == 'L' && buf[14] == CLOCKMIG_ENCODED_SIZE && buf[20] == 4 &&
	      buf[24] == 0x15 && buf[48] == 0x08 && buf[56] == 0x88, "layout");
	CHECK(clockmig_encode(&s, buf, CLOCKMIG_ENCODED_SIZE - 1) == CLOCKMIG_E_SPACE, "space");

	/* CNTFRQ_EL0 of 0 is a state save can produce: it round-trips. */
	s = sample_state(CLOCKMIG_ARCH_ARM64);
	s.counter_hz = 0;
	CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_ENCODED_SIZE &&
	      clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_OK && same_state(&s, &d),
	      "arm64 CNTFRQ 0 round-trips");
	/* A guest TSC of 0 Hz is not: encode refuses what decode would. */
	s = sample_state(CLOCKMIG_ARCH_X86_64);
	s.counter_hz = 0;
	CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_E_INVAL, "x86 0 Hz refused at encode");
	s = sample_state(CLOCKMIG_ARCH_X86_64);
	s.guest_counter++;
	CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_E_INVAL,
	      "a guest TSC that the offset does not give is refused");
	s = sample_state(CLOCKMIG_ARCH_ARM64);
	s.realtime_ns = 0;
	CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_E_INVAL, "realtime 0 refused");
}

static void put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void recrc(uint8_t *buf)
{
	put32le(buf + CLOCKMIG_ENCODED_SIZE - 4, clockmig_crc32(buf, CLOCKMIG_ENCODED_SIZE - 4));
}

static void test_bad_input(void)
{
	struct clockmig_state s = sample_state(CLOCKMIG_ARCH_X86_64), d;
	uint8_t good[CLOCKMIG_ENCODED_SIZE], buf[CLOCKMIG_ENCODED_SIZE], v1[136] = "KVMCLKMG";
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
	buf[8] = 3;
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_VERSION, "version");
	/* Version 1: 136 bytes, its own CRC: refused cleanly, for its version. */
	v1[8] = 1;
	v1[10] = 1;
	v1[12] = 'L';
	v1[14] = 136;
	put32le(v1 + 132, clockmig_crc32(v1, 132));
	CHECK(clockmig_decode(v1, sizeof(v1), &d) == CLOCKMIG_E_VERSION, "version 1 is refused");
	memcpy(buf, good, sizeof(buf));
	buf[100] ^= 0x40;
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CHECKSUM, "checksum");

	/* Checksum fixed up, content impossible. */
	static const struct { size_t off; uint8_t val; const char *what; } bad[] = {
		{ 10, 7, "unknown architecture" },
		{ 12, 'B', "byte order tag 'B'" },
		{ 12, 'l', "byte order tag 'l'" },
		{ 13, 1, "reserved byte" },
		{ 16, 0x10, "unknown 'have' bit" },
		{ 16, 0x0a, "x86 with the arm64 physical counter bit" },
		{ 16, 0x02, "kernel realtime without a kernel sample" },
		{ 18, 1, "reserved field" },
		{ 20, 0, "zero vCPUs" },
		{ 21, 0x10, "4100 vCPUs" },
		{ 41, 0x17, "frequency not in kHz" },
		{ 48, 0, "guest TSC not the one the offset gives" },
		{ 56, 1, "x86 with a physical counter" },
		{ 88, 64, "fractional bits" },
		{ 93, 1, "reserved after the fractional bits" },
		{ 116, 40, "pvclock shift" },
		{ 119, 1, "reserved after the pvclock" },
		{ 121, 1, "trailing reserved field" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(buf, good, sizeof(buf));
		buf[bad[i].off] = bad[i].val;
		recrc(buf);
		CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CORRUPT, "%s",
		      bad[i].what);
	}
	memcpy(buf, good, sizeof(buf));
	memset(buf + 40, 0, 8);
	recrc(buf);
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CORRUPT, "x86 zero frequency");
	memcpy(buf, good, sizeof(buf));
	memset(buf + 24, 0, 8);
	recrc(buf);
	CHECK(clockmig_decode(buf, sizeof(buf), &d) == CLOCKMIG_E_CORRUPT, "realtime 0");

	CHECK(clockmig_decode(NULL, 10, &d) == CLOCKMIG_E_INVAL, "NULL buffer");
	for (int code = 0; code >= CLOCKMIG_E_LAST; code--)
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

/* A state with random fields, often a valid one, to check encode against decode. */
static void random_state(struct clockmig_state *s)
{
	*s = sample_state(CLOCKMIG_ARCH_X86_64 + (rng() & 1));
	switch (rng() % 8) {
	case 0: s->have = rng() & 0x1f; break;
	case 1: s->counter_hz = rng() % 3 ? rng() % 4 * 1000 : rng(); break;
	case 2: s->guest_phys_counter = rng() & 1; break;
	case 3: s->pvclock.tsc_shift = rng(); s->pvclock.tsc_to_system_mul = rng() % 2; break;
	case 4: s->nr_vcpus = rng() % 5000; break;
	case 5: s->tsc_frac_bits = rng() % 70; break;
	case 6: s->realtime_ns = rng() % 2; break;
	case 7: s->arch = rng() % 4; break;
	}
}

/*
 * Mutated valid encodings, with and without the checksum fixed up, and
 * random bytes: decode must return a known code, and whatever it accepts
 * must re-encode to the same bytes. Random states: whatever encode
 * produces, decode accepts, as the same state.
 */
static void test_fuzz(long iterations)
{
	uint8_t good[2][CLOCKMIG_ENCODED_SIZE], buf[CLOCKMIG_ENCODED_SIZE + 16];
	uint8_t again[CLOCKMIG_ENCODED_SIZE];
	long accepted = 0, bad_code = 0, bad_round_trip = 0, encoded = 0, bad_encode = 0;
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
		switch ((how >> 1) % 5) {
		case 0:	/* a few random bytes */
			for (int n = 1 + (how >> 4) % 8; n; n--)
				buf[rng() % len] = rng();
			break;
		case 1:	/* the same, checksum fixed up: exercises validation */
			for (int n = 1 + (how >> 4) % 4; n; n--)
				buf[8 + rng() % (len - 12)] = rng();
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
		case 4:	/* a random state through encode */
			random_state(&s);
			if (clockmig_encode(&s, buf, sizeof(buf)) != CLOCKMIG_ENCODED_SIZE)
				continue;
			encoded++;
			if (clockmig_decode(buf, len, &d) || !same_state(&s, &d))
				bad_encode++;
			continue;
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
	CHECK(!bad_encode, "fuzz: %ld encoded states that do not decode as themselves", bad_encode);
	printf("# fuzz: %ld iterations, seed fixed: %ld accepted, truncated %ld, magic %ld, "
	       "version %ld, checksum %ld, corrupt %ld; %ld random states encoded\n",
	       iterations, accepted, by_code[-CLOCKMIG_E_TRUNCATED], by_code[-CLOCKMIG_E_MAGIC],
	       by_code[-CLOCKMIG_E_VERSION], by_code[-CLOCKMIG_E_CHECKSUM],
	       by_code[-CLOCKMIG_E_CORRUPT], encoded);
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
	test_ticks_to_ns();
	test_pvclock();
	test_elapsed();
	test_crc();
	test_report();
	test_round_trip();
	test_bad_input();
	test_fuzz(iterations);
	test_fake_x86();
	test_fake_arm64();
	printf("1..%d\n# %d of %d checks passed\n", cases, cases - failures, cases);
	return failures ? 1 : 0;
}
