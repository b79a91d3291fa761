// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_sim: parsing of the bus control files. Pure logic, unit tested with
 * KUnit on UML.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "dpu_sim.h"

/* Longest accepted write, "65535 65536\n" with room for spaces. */
#define DPU_SIM_ARGS_MAX	32

/*
 * Split buf into at most @max decimal u32 words; return how many were found
 * or -EINVAL for anything that is not a decimal number, a word too long,
 * too many words, or nothing at all.
 */
static int dpu_sim_parse_words(const char *buf, size_t count, u32 *vals,
			       int max)
{
	char tmp[DPU_SIM_ARGS_MAX + 1];
	char *cur, *word;
	int n = 0;

	if (!count || count > DPU_SIM_ARGS_MAX)
		return -EINVAL;
	memcpy(tmp, buf, count);
	tmp[count] = '\0';
	if (strlen(tmp) != count)	/* embedded NUL */
		return -EINVAL;

	cur = strim(tmp);
	while ((word = strsep(&cur, " \t")) != NULL) {
		if (!*word)
			continue;
		if (n == max)
			return -EINVAL;
		/* kstrtou32 would take "+1"; only plain digits are IDs */
		if (*word < '0' || *word > '9')
			return -EINVAL;
		if (kstrtou32(word, 10, &vals[n]))
			return -EINVAL;
		n++;
	}
	return n ? n : -EINVAL;
}

/**
 * dpu_sim_parse_new() - parse a write to new_device
 * @buf: the bytes written (not NUL terminated)
 * @count: their number
 * @args: filled on success; max_fns defaults to %DPU_SIM_DEFAULT_FNS
 *
 * Accepts "ID" or "ID MAX_FNS" with ID in 0..%DPU_SIM_MAX_ID and MAX_FNS in
 * 1..%DPU_SIM_MAX_FNS, surrounding white space and a final newline.
 *
 * Return: 0 or -EINVAL.
 */
int dpu_sim_parse_new(const char *buf, size_t count,
		      struct dpu_sim_new_args *args)
{
	u32 vals[2];
	int n;

	n = dpu_sim_parse_words(buf, count, vals, ARRAY_SIZE(vals));
	if (n < 0)
		return n;
	if (vals[0] > DPU_SIM_MAX_ID)
		return -EINVAL;
	args->id = vals[0];
	args->max_fns = DPU_SIM_DEFAULT_FNS;
	if (n == 2) {
		if (!vals[1] || vals[1] > DPU_SIM_MAX_FNS)
			return -EINVAL;
		args->max_fns = vals[1];
	}
	return 0;
}

/**
 * dpu_sim_parse_del() - parse a write to del_device: "ID"
 * @buf: the bytes written
 * @count: their number
 * @id: filled on success
 *
 * Return: 0 or -EINVAL.
 */
int dpu_sim_parse_del(const char *buf, size_t count, u32 *id)
{
	u32 val;
	int n;

	n = dpu_sim_parse_words(buf, count, &val, 1);
	if (n < 0)
		return n;
	if (val > DPU_SIM_MAX_ID)
		return -EINVAL;
	*id = val;
	return 0;
}
