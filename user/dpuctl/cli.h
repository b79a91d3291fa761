/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DPUCTL_CLI_H
#define DPUCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libdpu.h"
#include "out.h"

/* true if arg is a non-empty prefix of word (iproute2 style: "sh" = "show") */
bool cli_matches(const char *arg, const char *word);

/* "what: extack text (ENAME)" or "what: strerror (ENAME)" into buf */
void cli_format_error(char *buf, size_t len, const char *what, int err,
		      const char *extack);

/* "dpu0/3" -> "dpu0", 3; 0 or -1 */
int cli_parse_fn_id(const char *s, char *dev, size_t devlen, uint32_t *index);
/* plain decimal u32; 0 or -1 */
int cli_parse_u32(const char *s, uint32_t *out);
/* "dpu0/acme" -> "dpu0", "acme" (both non-empty, fitting); 0 or -1 */
int cli_parse_tenant_id(const char *s, char *dev, size_t devlen, char *name,
			size_t namelen);
/* "iops" "5k", "iops-burst" "500" into lim: 0, -ENOENT if kw is no
 * LIMIT[-burst], -EINVAL if val is no rate */
int cli_parse_limit(const char *kw, const char *val,
		    struct dpu_limits_req *lim);

/*
 * Printing of objects, text and JSON by the same calls (out.h). With
 * stats_text, the counters follow in text on a second line indented by
 * four spaces; JSON always has them when the kernel sent them.
 */
void cli_print_limits(struct out *o, const char *key, const char *text,
		      const uint64_t *rate, const uint64_t *burst);
void cli_print_stats(struct out *o, const struct dpu_stats *st, bool text);
void cli_print_fn_fields(struct out *o, const struct dpu_fn_info *f);
void cli_print_fn(struct out *o, const struct dpu_fn_info *f, bool stats_text);
void cli_print_tenant_fields(struct out *o, const struct dpu_tenant_info *t);
void cli_print_tenant(struct out *o, const struct dpu_tenant_info *t,
		      bool stats_text);

#endif
