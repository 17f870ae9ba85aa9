/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decimal output of the bare L2 guests (tools/guest-bare.c, x86, and
 * tools/guest-bare-arm64.c): include it after putc_uart() and
 * puts_uart(), the guest's own UART.
 */
#ifndef GUEST_BARE_PRINT_H
#define GUEST_BARE_PRINT_H

#include <stdint.h>

/* Decimal without a 64-bit division (no libgcc): shift and subtract. */
static inline void put_u64(uint64_t v)
{
	char buf[21];
	int i = sizeof(buf);

	buf[--i] = 0;
	do {
		uint64_t q = 0, r = 0;

		for (int b = 63; b >= 0; b--) {
			r = (r << 1) | ((v >> b) & 1);
			if (r >= 10) {
				r -= 10;
				q |= 1ULL << b;
			}
		}
		buf[--i] = (char)('0' + r);
		v = q;
	} while (v);
	puts_uart(&buf[i]);
}

static inline void put_s64(int64_t v)
{
	if (v < 0) {
		putc_uart('-');
		put_u64(-(uint64_t)v);
	} else {
		put_u64((uint64_t)v);
	}
}

static inline void field_u(const char *name, uint64_t v)
{
	puts_uart(name);
	put_u64(v);
}

static inline void field_s(const char *name, int64_t v)
{
	puts_uart(name);
	put_s64(v);
}

#endif
