/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DPUCTL_CLI_H
#define DPUCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* true if arg is a non-empty prefix of word (iproute2 style: "sh" = "show") */
bool cli_matches(const char *arg, const char *word);

/* "what: extack text (ENAME)" or "what: strerror (ENAME)" into buf */
void cli_format_error(char *buf, size_t len, const char *what, int err,
		      const char *extack);

/* "dpu0/3" -> "dpu0", 3; 0 or -1 */
int cli_parse_fn_id(const char *s, char *dev, size_t devlen, uint32_t *index);
/* plain decimal u32; 0 or -1 */
int cli_parse_u32(const char *s, uint32_t *out);

#endif
