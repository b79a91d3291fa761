// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: keep only the capabilities the daemon uses. dpud parses network
 * input (the provider's answers, HTTP requests, netlink messages): as root
 * with every capability, a bug there would own the host. What it keeps:
 *
 *   CAP_NET_ADMIN  the dpu family's changes (FN_NEW/DEL/SET, TENANT_*),
 *                  joining its events group, NIC setup over rtnetlink
 *                  (rename, MAC, MTU, up, move to a namespace)
 *   CAP_SYS_ADMIN  setns() into a pod's network namespace to finish a
 *                  NIC's setup there
 *
 * Everything else leaves the bounding set too, and the securebits stop an
 * exec from giving root its capabilities back: the directive hook runs as
 * root without any capability (and with no_new_privs).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "dpud.h"

#define KEEP ((1ULL << CAP_NET_ADMIN) | (1ULL << CAP_SYS_ADMIN))

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int v = 40;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 40;
		fclose(f);
	}
	return v;
}

int dpud_drop_caps(uint64_t *kept, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t eff;
	int c, last = last_cap();

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d)) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -errno;
	}
	eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	if ((eff & KEEP) != KEEP) {
		snprintf(err, errlen, "needs CAP_NET_ADMIN and CAP_SYS_ADMIN");
		return -EPERM;
	}
	/* root regains nothing on exec or setuid; locked */
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
		  SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
		  SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0)) {
		snprintf(err, errlen, "securebits: %s", strerror(errno));
		return -errno;
	}
	for (c = 0; c <= last; c++)
		if (!(KEEP & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) &&
		    errno != EINVAL) {
			snprintf(err, errlen, "bounding set, capability %d: %s", c,
				 strerror(errno));
			return -errno;
		}
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = (uint32_t)KEEP;
	d[1].effective = d[1].permitted = (uint32_t)(KEEP >> 32);
	if (syscall(SYS_capset, &h, d)) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -errno;
	}
	/* the hook can gain nothing through setuid or file capabilities */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	*kept = KEEP;
	return 0;
}
