// SPDX-License-Identifier: GPL-2.0-or-later
/* dpud: NIC setup with libnl-route-3 once a net function is ready:
 * name, MAC, MTU, move into the target netns, bring up (CNI-like).
 * Idempotent: run again after a crash half-way, it finishes the job. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "dpud.h"

static struct nl_sock *sock_in(int nsfd, char *err, size_t errlen)
{
	struct nl_sock *sk = nl_socket_alloc();
	int self = -1, ret;

	if (!sk) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (nsfd >= 0) {
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(nsfd, CLONE_NEWNET)) {
			snprintf(err, errlen, "setns: %s", strerror(errno));
			if (self >= 0)
				close(self);
			nl_socket_free(sk);
			return NULL;
		}
	}
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (self >= 0) {
		if (setns(self, CLONE_NEWNET))
			ret = -NLE_FAILURE;	/* cannot happen; be loud */
		close(self);
	}
	if (ret < 0) {
		snprintf(err, errlen, "rtnetlink: %s", nl_geterror(ret));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* by name, or by ifindex if name is "" */
static int link_up(struct nl_sock *sk, uint32_t ifindex, const char *name,
		   char *err, size_t errlen)
{
	struct rtnl_link *link = NULL, *chg;
	int ret;

	ret = rtnl_link_get_kernel(sk, name[0] ? 0 : (int)ifindex,
				   name[0] ? name : NULL, &link);
	if (ret < 0) {
		snprintf(err, errlen, "link %s (ifindex %u): %s", name,
			 ifindex, nl_geterror(ret));
		return -ENODEV;
	}
	chg = rtnl_link_alloc();
	rtnl_link_set_flags(chg, IFF_UP);
	ret = rtnl_link_change(sk, link, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(link);
	if (ret < 0) {
		snprintf(err, errlen, "bring %s up: %s", name, nl_geterror(ret));
		return -EIO;
	}
	return 0;
}

int dpud_nic_setup(uint32_t ifindex, const struct dpud_attach_spec *a,
		   char *err, size_t errlen)
{
	struct rtnl_link *link = NULL, *chg;
	struct nl_sock *sk, *nsk;
	char name[IFNAMSIZ];
	int nsfd = -1, ret;

	if (a->netns[0]) {
		nsfd = open(a->netns, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			snprintf(err, errlen, "netns %s: %s", a->netns,
				 strerror(errno));
			return -ENOENT;
		}
	}
	sk = sock_in(-1, err, errlen);
	if (!sk) {
		ret = -EIO;
		goto out_ns;
	}
	ret = rtnl_link_get_kernel(sk, (int)ifindex, NULL, &link);
	if (ret < 0) {
		/* not here: moved by an earlier run? then finish there */
		if (nsfd >= 0) {
			nsk = sock_in(nsfd, err, errlen);
			ret = nsk ? link_up(nsk, ifindex, a->ifname, err,
					    errlen) : -EIO;
			if (nsk)
				nl_socket_free(nsk);
		} else {
			snprintf(err, errlen, "ifindex %u: %s", ifindex,
				 nl_geterror(ret));
			ret = -ENODEV;
		}
		goto out_sk;
	}
	snprintf(name, sizeof(name), "%s", rtnl_link_get_name(link));

	/*
	 * down, MAC, MTU in one change; the new name too when the NIC stays
	 * here. A NIC bound for a namespace is renamed by the move itself:
	 * the name (eth0, say) is free there, not necessarily here.
	 */
	chg = rtnl_link_alloc();
	rtnl_link_unset_flags(chg, IFF_UP);
	if (nsfd < 0 && a->ifname[0] && strcmp(a->ifname, name))
		rtnl_link_set_name(chg, a->ifname);
	if (a->has_mac) {
		struct nl_addr *addr = nl_addr_build(AF_LLC, a->mac, 6);

		rtnl_link_set_addr(chg, addr);
		nl_addr_put(addr);
	}
	if (a->mtu)
		rtnl_link_set_mtu(chg, a->mtu);
	ret = rtnl_link_change(sk, link, chg, 0);
	rtnl_link_put(chg);
	if (ret < 0) {
		snprintf(err, errlen, "set up %s: %s", name, nl_geterror(ret));
		ret = -EIO;
		goto out_link;
	}
	if (nsfd < 0 && a->ifname[0])
		snprintf(name, sizeof(name), "%s", a->ifname);

	if (nsfd >= 0) {
		rtnl_link_put(link);
		link = NULL;
		ret = rtnl_link_get_kernel(sk, (int)ifindex, NULL, &link);
		if (ret < 0) {
			snprintf(err, errlen, "ifindex %u: %s", ifindex,
				 nl_geterror(ret));
			ret = -ENODEV;
			goto out_sk;
		}
		/* moved and named in one request (IFLA_NET_NS_FD + IFLA_IFNAME) */
		chg = rtnl_link_alloc();
		rtnl_link_set_ns_fd(chg, nsfd);
		if (a->ifname[0] && strcmp(a->ifname, name))
			rtnl_link_set_name(chg, a->ifname);
		ret = rtnl_link_change(sk, link, chg, 0);
		rtnl_link_put(chg);
		if (ret >= 0 && a->ifname[0])
			snprintf(name, sizeof(name), "%s", a->ifname);
		if (ret < 0) {
			snprintf(err, errlen, "move %s to %s: %s", name,
				 a->netns, nl_geterror(ret));
			ret = -EIO;
			goto out_link;
		}
		dpud_test_crash("nic-moved");
		nsk = sock_in(nsfd, err, errlen);
		ret = nsk ? link_up(nsk, ifindex, name, err, errlen) : -EIO;
		if (nsk)
			nl_socket_free(nsk);
	} else {
		ret = link_up(sk, ifindex, name, err, errlen);
	}
out_link:
	if (link)
		rtnl_link_put(link);
out_sk:
	nl_socket_free(sk);
out_ns:
	if (nsfd >= 0)
		close(nsfd);
	return ret;
}
