// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
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
