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
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
