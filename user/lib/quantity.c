// SPDX-License-Identifier: GPL-2.0-or-later
/* Kubernetes resource quantities: see quantity.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "quantity.h"

/* value = mant * 10^dexp * 2^bexp, exactly, then scaled */
int dpu_quantity_parse(const char *s, int64_t scale, int64_t *out)
{
	static const struct {
		const char *sfx;
		int dexp, bexp;
	} sfx[] = {
		{ "Ki", 0, 10 }, { "Mi", 0, 20 }, { "Gi", 0, 30 }, { "Ti", 0, 40 },
		{ "Pi", 0, 50 }, { "Ei", 0, 60 },
		{ "n", -9, 0 }, { "u", -6, 0 }, { "m", -3, 0 }, { "", 0, 0 },
		{ "k", 3, 0 }, { "M", 6, 0 }, { "G", 9, 0 }, { "T", 12, 0 },
		{ "P", 15, 0 }, { "E", 18, 0 },
	};
	unsigned __int128 mant = 0, v;
	int dexp = 0, bexp = 0, digits = 0, i;
	bool frac = false, found = false;
	const char *p = s;

	if (!s || !*s || (scale != 1 && scale != 1000))
		return -EINVAL;
	if (*p == '+')
		p++;
	for (; (*p >= '0' && *p <= '9') || (*p == '.' && !frac); p++) {
		if (*p == '.') {
			frac = true;
			continue;
		}
		if (mant > (unsigned __int128)UINT64_MAX * 1000)
			return -ERANGE;
		mant = mant * 10 + (unsigned)(*p - '0');
		digits++;
		if (frac)
			dexp--;
	}
	if (!digits)
		return -EINVAL;
	if ((*p == 'e' || *p == 'E') && p[1]) {
		/* a decimal exponent: "1e3", "5E-2" (not the suffix E) */
		const char *q = p + 1;
		bool neg = false;
		int e = 0;

		if (*q == '+' || *q == '-')
			neg = *q++ == '-';
		if (*q >= '0' && *q <= '9') {
			for (; *q >= '0' && *q <= '9'; q++) {
				e = e * 10 + (*q - '0');
				if (e > 40)
					return -ERANGE;
			}
			if (*q)
				return -EINVAL;
			dexp += neg ? -e : e;
			p = q;
		}
	}
	for (i = 0; i < (int)(sizeof(sfx) / sizeof(sfx[0])); i++) {
		if (!strcmp(p, sfx[i].sfx)) {
			dexp += sfx[i].dexp;
			bexp = sfx[i].bexp;
			found = true;
			break;
		}
	}
	if (!found)
		return -EINVAL;
	if (scale == 1000)
		dexp += 3;
	v = mant;
	for (i = 0; i < bexp; i++) {
		v <<= 1;
		if (v > (unsigned __int128)INT64_MAX * 1000000000000ULL)
			return -ERANGE;
	}
	for (; dexp > 0; dexp--) {
		v *= 10;
		if (v > (unsigned __int128)INT64_MAX * 1000000000000ULL)
			return -ERANGE;
	}
	if (dexp < -30) {
		v = v != 0;		/* below one unit: rounds up to 1 */
	} else if (dexp < 0) {
		unsigned __int128 d = 1;
		bool rest;

		for (; dexp < 0; dexp++)
			d *= 10;
		rest = v % d;
		v = v / d + rest;	/* round up, as Kubernetes does */
	}
	if (v > INT64_MAX)
		return -ERANGE;
	*out = (int64_t)v;
	return 0;
}
