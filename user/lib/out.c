// SPDX-License-Identifier: LGPL-2.1-or-later
#include <inttypes.h>
#include <string.h>

#include "out.h"

void out_init(struct out *o, FILE *f, bool json, bool pretty)
{
	memset(o, 0, sizeof(*o));
	o->f = f;
	o->json = json;
	o->pretty = pretty;
	o->first[0] = true;
}

void out_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void indent(struct out *o)
{
	int i;

	if (!o->pretty)
		return;
	fputc('\n', o->f);
	for (i = 0; i < o->depth; i++)
		fputs("    ", o->f);
}

/* JSON: a value with no key inside an object is text-only */
static bool skip_json(struct out *o, const char *key)
{
	return !key && o->depth && !o->is_array[o->depth];
}

/* JSON: separator and key of the next member or element */
static void member(struct out *o, const char *key)
{
	if (!o->first[o->depth])
		fputc(',', o->f);
	o->first[o->depth] = false;
	if (o->depth)
		indent(o);
	if (key && o->depth && !o->is_array[o->depth]) {
		out_json_string(o->f, key);
		fputs(o->pretty ? ": " : ":", o->f);
	}
}

static void open_any(struct out *o, const char *key, bool array)
{
	if (!o->json)
		return;
	if (o->depth + 1 >= OUT_MAX_DEPTH)
		return;
	member(o, key);
	fputc(array ? '[' : '{', o->f);
	o->depth++;
	o->first[o->depth] = true;
	o->is_array[o->depth] = array;
}

static void close_any(struct out *o, bool array)
{
	bool empty;

	if (!o->json || !o->depth)
		return;
	empty = o->first[o->depth];
	o->depth--;
	if (!empty)
		indent(o);
	fputc(array ? ']' : '}', o->f);
}

void out_obj_open(struct out *o, const char *key)
{
	open_any(o, key, false);
}

void out_obj_close(struct out *o)
{
	close_any(o, false);
}

void out_arr_open(struct out *o, const char *key)
{
	open_any(o, key, true);
}

void out_arr_close(struct out *o)
{
	close_any(o, true);
}

void out_str(struct out *o, const char *key, const char *fmt, const char *val)
{
	if (o->json) {
		if (skip_json(o, key))
			return;
		member(o, key);
		out_json_string(o->f, val);
	} else if (fmt) {
		fprintf(o->f, fmt, val);
	}
}

void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val)
{
	if (o->json) {
		if (skip_json(o, key))
			return;
		member(o, key);
		fprintf(o->f, "%" PRIu64, val);
	} else if (fmt) {
		fprintf(o->f, fmt, val);
	}
}

void out_s64(struct out *o, const char *key, const char *fmt, int64_t val)
{
	if (o->json) {
		if (skip_json(o, key))
			return;
		member(o, key);
		fprintf(o->f, "%" PRId64, val);
	} else if (fmt) {
		fprintf(o->f, fmt, val);
	}
}

void out_bool(struct out *o, const char *key, const char *fmt, bool val)
{
	if (o->json) {
		if (skip_json(o, key))
			return;
		member(o, key);
		fputs(val ? "true" : "false", o->f);
	} else if (fmt) {
		fprintf(o->f, fmt, val ? "true" : "false");
	}
}

void out_text(struct out *o, const char *text)
{
	if (!o->json)
		fputs(text, o->f);
}

void out_finish(struct out *o)
{
	if (!o->json)
		return;
	while (o->depth)
		close_any(o, o->is_array[o->depth]);
	fputc('\n', o->f);
}
