// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: sizes, MAC addresses, names, dpuctl argument helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "libdpu.h"

static void size_parse_ok(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(dpu_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(dpu_parse_size("4k", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(dpu_parse_size("100M", &v), 0);
	assert_int_equal(v, 100ULL << 20);
	assert_int_equal(dpu_parse_size("4G", &v), 0);
	assert_int_equal(v, 4ULL << 30);
	assert_int_equal(dpu_parse_size("4GiB", &v), 0);
	assert_int_equal(v, 4ULL << 30);
	assert_int_equal(dpu_parse_size("1tb", &v), 0);
	assert_int_equal(v, 1ULL << 40);
	assert_int_equal(dpu_parse_size("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(dpu_parse_size("15E", &v), 0);
	assert_int_equal(v, 15ULL << 60);
}

static void size_parse_bad(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_int_equal(dpu_parse_size("", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("G", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("-1", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("1.5G", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("12Q", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("4Gx", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("4 G", &v), -EINVAL);
	assert_int_equal(dpu_parse_size("16E", &v), -ERANGE);
	assert_int_equal(dpu_parse_size("99999999999999999999", &v), -ERANGE);
	assert_int_equal(v, 77);	/* untouched on error */
}

static void size_format(void **state)
{
	char b[32];

	(void)state;
	dpu_format_size(4ULL << 30, b, sizeof(b));
	assert_string_equal(b, "4G");
	dpu_format_size(64ULL << 20, b, sizeof(b));
	assert_string_equal(b, "64M");
	dpu_format_size(1536ULL << 20, b, sizeof(b));
	assert_string_equal(b, "1536M");
	dpu_format_size(4097, b, sizeof(b));
	assert_string_equal(b, "4097");
	dpu_format_size(0, b, sizeof(b));
	assert_string_equal(b, "0");
	dpu_format_size(1ULL << 60, b, sizeof(b));
	assert_string_equal(b, "1E");
}

static void mac_parse_format(void **state)
{
	uint8_t m[6];
	char b[32];

	(void)state;
	assert_int_equal(dpu_parse_mac("02:aB:00:ff:10:01", m), 0);
	assert_memory_equal(m, ((uint8_t[]){ 2, 0xab, 0, 0xff, 0x10, 1 }), 6);
	dpu_format_mac(m, b, sizeof(b));
	assert_string_equal(b, "02:ab:00:ff:10:01");
	assert_int_equal(dpu_parse_mac("02:ab:00:ff:10", m), -EINVAL);
	assert_int_equal(dpu_parse_mac("02:ab:00:ff:10:011", m), -EINVAL);
	assert_int_equal(dpu_parse_mac("02-ab-00-ff-10-01", m), -EINVAL);
	assert_int_equal(dpu_parse_mac("0g:ab:00:ff:10:01", m), -EINVAL);
	assert_int_equal(dpu_parse_mac("", m), -EINVAL);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(dpu_fn_type_str(DPU_FN_TYPE_BLK), "blk");
	assert_string_equal(dpu_fn_type_str(DPU_FN_TYPE_NET), "net");
	assert_string_equal(dpu_fn_type_str(9), "unknown");
	assert_string_equal(dpu_fn_state_str(DPU_FN_STATE_READY), "ready");
	assert_string_equal(dpu_fn_state_str(DPU_FN_STATE_GONE), "gone");
	assert_string_equal(dpu_fn_state_str(DPU_FN_STATE_UNBOUND), "unbound");
	assert_string_equal(dpu_fn_state_str(0), "unknown");
	assert_int_equal(dpu_fn_type_parse("blk"), DPU_FN_TYPE_BLK);
	assert_int_equal(dpu_fn_type_parse("net"), DPU_FN_TYPE_NET);
	assert_int_equal(dpu_fn_type_parse("nvme"), -EINVAL);
	assert_string_equal(dpu_errno_name(-ENODEV), "ENODEV");
	assert_string_equal(dpu_errno_name(EEXIST), "EEXIST");
	assert_null(dpu_errno_name(12345));
}

static void cli_helpers(void **state)
{
	char dev[16], buf[256];
	uint32_t idx;

	(void)state;
	assert_true(cli_matches("sh", "show"));
	assert_true(cli_matches("show", "show"));
	assert_false(cli_matches("", "show"));
	assert_false(cli_matches("shows", "show"));
	assert_false(cli_matches("x", "show"));

	assert_int_equal(cli_parse_fn_id("dpu0/3", dev, sizeof(dev), &idx), 0);
	assert_string_equal(dev, "dpu0");
	assert_int_equal(idx, 3);
	assert_int_equal(cli_parse_fn_id("dpu12/4294967295", dev, sizeof(dev), &idx), 0);
	assert_int_equal(idx, 4294967295U);
	assert_int_equal(cli_parse_fn_id("dpu0/4294967296", dev, sizeof(dev), &idx), -1);
	assert_int_equal(cli_parse_fn_id("dpu0", dev, sizeof(dev), &idx), -1);
	assert_int_equal(cli_parse_fn_id("/3", dev, sizeof(dev), &idx), -1);
	assert_int_equal(cli_parse_fn_id("dpu0/", dev, sizeof(dev), &idx), -1);
	assert_int_equal(cli_parse_fn_id("dpu0/-1", dev, sizeof(dev), &idx), -1);
	assert_int_equal(cli_parse_fn_id("dpu0/3x", dev, sizeof(dev), &idx), -1);
	assert_int_equal(cli_parse_fn_id("averyveryverylongname/3", dev, sizeof(dev), &idx), -1);

	assert_int_equal(cli_parse_u32("42", &idx), 0);
	assert_int_equal(idx, 42);
	assert_int_equal(cli_parse_u32("", &idx), -1);
	assert_int_equal(cli_parse_u32("+4", &idx), -1);
	assert_int_equal(cli_parse_u32("4 ", &idx), -1);

	cli_format_error(buf, sizeof(buf), "fn del dpu0/9", -ENOENT,
			 "no function with this index on this DPU");
	assert_string_equal(buf, "fn del dpu0/9: no function with this index on this DPU (ENOENT)");
	cli_format_error(buf, sizeof(buf), "dev show", -ENODEV, "");
	assert_string_equal(buf, "dev show: No such device (ENODEV)");
	cli_format_error(buf, sizeof(buf), "x", -EDOM, NULL);
	assert_string_equal(buf, "x: Numerical argument out of domain");
}

static void rates(void **state)
{
	uint64_t v = 9;
	char b[32];

	(void)state;
	assert_int_equal(dpu_parse_rate("2000", &v), 0);
	assert_int_equal(v, 2000);
	assert_int_equal(dpu_parse_rate("5k", &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(dpu_parse_rate("5K", &v), 0);
	assert_int_equal(v, 5000);
	assert_int_equal(dpu_parse_rate("100M", &v), 0);
	assert_int_equal(v, 100000000);
	assert_int_equal(dpu_parse_rate("1T", &v), 0);
	assert_int_equal(v, 1000000000000ULL);
	assert_int_equal(dpu_parse_rate("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(dpu_parse_rate("", &v), -EINVAL);
	assert_int_equal(dpu_parse_rate("5x", &v), -EINVAL);
	assert_int_equal(dpu_parse_rate("5kk", &v), -EINVAL);
	assert_int_equal(dpu_parse_rate("-5", &v), -EINVAL);
	assert_int_equal(dpu_parse_rate("99999999999T", &v), -ERANGE);
	dpu_format_rate(5000, b, sizeof(b));
	assert_string_equal(b, "5k");
	dpu_format_rate(12500000, b, sizeof(b));
	assert_string_equal(b, "12500k");
	dpu_format_rate(2001, b, sizeof(b));
	assert_string_equal(b, "2001");

	assert_int_equal(dpu_limit_kind_parse("iops"), 0);
	assert_int_equal(dpu_limit_kind_parse("rx-pps"), 9);
	assert_int_equal(dpu_limit_kind_parse("bogus"), -EINVAL);
	assert_true(dpu_limit_is_bytes(dpu_limit_kind_parse("tx-bps")));
	assert_false(dpu_limit_is_bytes(dpu_limit_kind_parse("write-iops")));
}

static void counts_and_times(void **state)
{
	static const struct { uint64_t v; const char *s; } counts[] = {
		{ 0, "0" }, { 999, "999" }, { 1000, "1.0k" }, { 1234, "1.2k" },
		{ 5000000, "5.0M" }, { 5242880, "5.2M" }, { 999949, "999.9k" },
		{ 999950, "1.0M" }, { 999999, "1.0M" }, { 12345678901ULL, "12.3G" },
		{ 18446744073709551615ULL, "18.4E" },
	};
	static const struct { uint64_t v; const char *s; } times[] = {
		{ 0, "0s" }, { 800, "800ns" }, { 999, "999ns" }, { 1000, "1.00us" },
		{ 2500, "2.50us" }, { 999994, "999.99us" }, { 999995, "1.00ms" },
		{ 1500000, "1.50ms" }, { 1200000000, "1.20s" },
		{ 999995000, "1.00s" }, { 3600000000000ULL, "3600.00s" },
	};
	char b[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		dpu_format_count(counts[i].v, b, sizeof(b));
		assert_string_equal(b, counts[i].s);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		dpu_format_ns(times[i].v, b, sizeof(b));
		assert_string_equal(b, times[i].s);
	}
}

static void tenant_cli_args(void **state)
{
	struct dpu_limits_req lim = { 0 };
	char dev[16], name[64];
	int k;

	(void)state;
	assert_int_equal(cli_parse_tenant_id("dpu0/acme", dev, sizeof(dev),
					     name, sizeof(name)), 0);
	assert_string_equal(dev, "dpu0");
	assert_string_equal(name, "acme");
	assert_int_equal(cli_parse_tenant_id("dpu12/a.b-c_d", dev, sizeof(dev),
					     name, sizeof(name)), 0);
	assert_string_equal(dev, "dpu12");
	assert_string_equal(name, "a.b-c_d");
	assert_int_equal(cli_parse_tenant_id("dpu0", dev, sizeof(dev), name,
					     sizeof(name)), -1);
	assert_int_equal(cli_parse_tenant_id("dpu0/", dev, sizeof(dev), name,
					     sizeof(name)), -1);
	assert_int_equal(cli_parse_tenant_id("/acme", dev, sizeof(dev), name,
					     sizeof(name)), -1);
	assert_int_equal(cli_parse_tenant_id("dpu0/a/b", dev, sizeof(dev), name,
					     sizeof(name)), -1);
	assert_int_equal(cli_parse_tenant_id("dpu0123456789abcdef/a", dev,
					     sizeof(dev), name, sizeof(name)), -1);
	assert_int_equal(cli_parse_tenant_id("dpu0/acme", dev, sizeof(dev),
					     name, 4), -1);

	assert_int_equal(cli_parse_limit("iops", "5k", &lim), 0);
	assert_int_equal(cli_parse_limit("iops-burst", "500", &lim), 0);
	assert_int_equal(cli_parse_limit("rx-pps", "0", &lim), 0);
	assert_true(lim.has_rate[0]);
	assert_int_equal(lim.rate[0], 5000);
	assert_true(lim.has_burst[0]);
	assert_int_equal(lim.burst[0], 500);
	k = dpu_limit_kind_parse("rx-pps");
	assert_true(lim.has_rate[k]);
	assert_int_equal(lim.rate[k], 0);
	assert_false(lim.has_burst[k]);
	for (k = 1; k < DPU_LIMIT_KINDS - 1; k++)
		assert_false(lim.has_rate[k] || lim.has_burst[k]);
	assert_int_equal(cli_parse_limit("iops", "x", &lim), -EINVAL);
	assert_int_equal(cli_parse_limit("iops-burst", "5q", &lim), -EINVAL);
	assert_int_equal(cli_parse_limit("parent", "x", &lim), -ENOENT);
	assert_int_equal(cli_parse_limit("-burst", "1", &lim), -ENOENT);
	assert_int_equal(cli_parse_limit("bogus-burst", "1", &lim), -ENOENT);
	assert_int_equal(cli_parse_limit("iops-burstiness", "1", &lim), -ENOENT);
	assert_int_equal(cli_parse_limit("a-very-long-keyword-beyond-thirty-two", "1",
					 &lim), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_parse_ok),
		cmocka_unit_test(size_parse_bad),
		cmocka_unit_test(size_format),
		cmocka_unit_test(mac_parse_format),
		cmocka_unit_test(names),
		cmocka_unit_test(cli_helpers),
		cmocka_unit_test(rates),
		cmocka_unit_test(counts_and_times),
		cmocka_unit_test(tenant_cli_args),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
