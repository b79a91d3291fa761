/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One output path for text and JSON, in the manner of iproute2's
 * print_*(PRINT_ANY, key, fmt, value): each call names the JSON key and the
 * text format; the mode picks which is used.
 */
#ifndef DPU_OUT_H
#define DPU_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_MAX_DEPTH 16

struct out {
	FILE *f;
	bool json;
	bool pretty;
	int depth;
	bool first[OUT_MAX_DEPTH];
	bool is_array[OUT_MAX_DEPTH];
};

void out_init(struct out *o, FILE *f, bool json, bool pretty);
void out_obj_open(struct out *o, const char *key);
void out_obj_close(struct out *o);
void out_arr_open(struct out *o, const char *key);
void out_arr_close(struct out *o);
/* text mode prints fmt (a printf format taking the value); JSON a member */
void out_str(struct out *o, const char *key, const char *fmt, const char *val);
void out_u64(struct out *o, const char *key, const char *fmt, uint64_t val);
void out_s64(struct out *o, const char *key, const char *fmt, int64_t val);
void out_bool(struct out *o, const char *key, const char *fmt, bool val);
/* text only */
void out_text(struct out *o, const char *text);
/* close all and end the document with a newline */
void out_finish(struct out *o);

void out_json_string(FILE *f, const char *s);

#endif
