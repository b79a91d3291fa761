// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests: the text/JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "out.h"

struct buf {
	char *s;
	size_t len;
	FILE *f;
};

static void open_buf(struct buf *b)
{
	b->f = open_memstream(&b->s, &b->len);
	assert_non_null(b->f);
}

static const char *close_buf(struct buf *b)
{
	fclose(b->f);
	return b->s;
}

static void json_escape(void **state)
{
	struct buf b;

	(void)state;
	open_buf(&b);
	out_json_string(b.f, "a\"b\\c\nd\te\x01" "f\x7f");
	assert_string_equal(close_buf(&b), "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\"");
	free(b.s);
}

static void json_nested(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, true, false);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "dev", "%s:", "dpu0");
	out_u64(&o, "index", " %llu", 0);
	out_str(&o, NULL, " text-only %s", "x");	/* skipped in JSON */
	out_s64(&o, "numa", NULL, -1);
	out_bool(&o, "up", NULL, true);
	out_arr_open(&o, "list");
	out_u64(&o, NULL, NULL, 1);
	out_u64(&o, NULL, NULL, 2);
	out_arr_close(&o);
	out_obj_close(&o);
	out_obj_open(&o, NULL);
	out_obj_close(&o);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"[{\"dev\":\"dpu0\",\"index\":0,\"numa\":-1,\"up\":true,\"list\":[1,2]},{}]\n");
	free(b.s);
}

static void json_empty_and_finish(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, true, false);
	out_arr_open(&o, NULL);
	out_finish(&o);
	assert_string_equal(close_buf(&b), "[]\n");
	free(b.s);

	/* finish closes what is open */
	open_buf(&b);
	out_init(&o, b.f, true, false);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "k", NULL, "v");
	out_finish(&o);
	assert_string_equal(close_buf(&b), "[{\"k\":\"v\"}]\n");
	free(b.s);
}

static void json_pretty(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, true, true);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "a", NULL, "b");
	out_u64(&o, "n", NULL, 7);
	out_finish(&o);
	assert_string_equal(close_buf(&b),
		"[\n    {\n        \"a\": \"b\",\n        \"n\": 7\n    }\n]\n");
	free(b.s);
}

static void text_mode(void **state)
{
	struct out o;
	struct buf b;

	(void)state;
	open_buf(&b);
	out_init(&o, b.f, false, false);
	out_arr_open(&o, NULL);
	out_obj_open(&o, NULL);
	out_str(&o, "dev", "%s:", "dpu0");
	out_u64(&o, "index", " index %llu", 3);
	out_s64(&o, "numa", " numa %lld", -1);
	out_str(&o, "json-only", NULL, "hidden");
	out_bool(&o, "up", " up %s", false);
	out_text(&o, "\n");
	out_obj_close(&o);
	out_finish(&o);
	assert_string_equal(close_buf(&b), "dpu0: index 3 numa -1 up false\n");
	free(b.s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_escape),
		cmocka_unit_test(json_nested),
		cmocka_unit_test(json_empty_and_finish),
		cmocka_unit_test(json_pretty),
		cmocka_unit_test(text_mode),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
