// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "libdpu.h"

bool cli_matches(const char *arg, const char *word)
{
	size_t len = strlen(arg);

	return len && len <= strlen(word) && !strncmp(arg, word, len);
}

void cli_format_error(char *buf, size_t len, const char *what, int err,
		      const char *extack)
{
	const char *name = dpu_errno_name(err);
	const char *text = extack && *extack ? extack :
			   strerror(err < 0 ? -err : err);

	if (name)
		snprintf(buf, len, "%s: %s (%s)", what, text, name);
	else
		snprintf(buf, len, "%s: %s", what, text);
}

int cli_parse_fn_id(const char *s, char *dev, size_t devlen, uint32_t *index)
{
	const char *slash = strchr(s, '/');
	unsigned long v;
	char *end;

	if (!slash || slash == s || (size_t)(slash - s) >= devlen ||
	    !slash[1] || slash[1] == '-' || slash[1] == '+')
		return -1;
	errno = 0;
	v = strtoul(slash + 1, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	memcpy(dev, s, (size_t)(slash - s));
	dev[slash - s] = '\0';
	*index = (uint32_t)v;
	return 0;
}

int cli_parse_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}
