// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpuctl nic show: the NIC limits the host enforces with BPF (dpud's
 * programs at the TC hooks of NIC functions), read from the maps dpud
 * pins in bpffs, so they show even while dpud is down.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "dpuctl.h"
#include "nic_limits.h"

static const char *bpf_dir(void)
{
	const char *d = getenv("DPU_BPF_DIR");

	return d && *d ? d : "/sys/fs/bpf/dpupool";
}

struct maps {
	int fns, conf, stats, ident;
};

/* a pinned map, if its values are the size this dpuctl knows (a dpud of
 * another version may have pinned another layout) */
static int open_map(const char *dir, const char *dev, const char *name,
		    uint32_t value_size)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s/%s/maps/%s", dir, dev, name);
	fd = bpf_obj_get(p);
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.value_size != value_size) {
		close(fd);
		errno = EPROTO;	/* reported as "protocol error": another layout */
		return -1;
	}
	return fd;
}

static const char *const bucket_limit[DPU_NL_BUCKETS] = {
	[DPU_NL_TX_BPS] = "tx-bps", [DPU_NL_TX_PPS] = "tx-pps",
	[DPU_NL_RX_BPS] = "rx-bps", [DPU_NL_RX_PPS] = "rx-pps",
};

static void dir_stats(const char *key, const char *text, uint64_t pkts,
		      uint64_t bytes, uint64_t dropped, uint64_t dbytes,
		      const __u64 *delayed, uint64_t delay_ns)
{
	char b[32];

	out_obj_open(&out, key);
	out_text(&out, text);
	dpu_format_rate(bytes, b, sizeof(b));
	out_u64(&out, "packets", " passed %" PRIu64, pkts);
	out_u64(&out, "bytes", NULL, bytes);
	out_str(&out, NULL, " (%s bytes)", b);
	if (delayed) {
		out_u64(&out, "delayed", " delayed %" PRIu64, *delayed);
		out_u64(&out, "delay_ns", NULL, delay_ns);
	}
	out_u64(&out, "dropped", " dropped %" PRIu64, dropped);
	out_u64(&out, "dropped_bytes", NULL, dbytes);
	out_obj_close(&out);
}

static int show_dev(const char *dir, const char *dev, int ncpus)
{
	struct dpu_nl_stats *pc = calloc((size_t)ncpus, sizeof(*pc));
	uint32_t ifindex_of[DPU_NL_SLOTS] = { 0 };
	struct maps m;
	uint32_t slot, key, next;
	bool more;
	int c, b, ret = 0;

	m.fns = open_map(dir, dev, "nl_fns", sizeof(struct dpu_nl_fn));
	m.conf = open_map(dir, dev, "nl_conf", sizeof(struct dpu_nl_conf));
	m.stats = open_map(dir, dev, "nl_stats", sizeof(struct dpu_nl_stats));
	m.ident = open_map(dir, dev, "nl_ident", sizeof(struct dpu_nl_ident));
	if (!pc || m.fns < 0 || m.conf < 0 || m.stats < 0 || m.ident < 0) {
		int e = errno;

		if (pc && e == EPROTO)
			fprintf(stderr, "dpuctl: nic show %s: the maps in %s/%s are of another dpupool version (their layout differs)\n",
				dev, dir, dev);
		else
			fprintf(stderr, "dpuctl: nic show %s: no NIC limits pinned in %s/%s (%s)\n",
				dev, dir, dev, pc ? strerror(e) : "out of memory");
		ret = 1;
		goto out;
	}
	/* the net device each function's level is attached to */
	more = !bpf_map_get_next_key(m.fns, NULL, &key);
	while (more) {
		struct dpu_nl_fn f;

		more = !bpf_map_get_next_key(m.fns, &key, &next);
		if (!bpf_map_lookup_elem(m.fns, &key, &f) && f.nlevels &&
		    f.level[0] < DPU_NL_SLOTS)
			ifindex_of[f.level[0]] = key;
		key = next;
	}
	for (slot = 0; slot < DPU_NL_SLOTS; slot++) {
		struct dpu_nl_ident id;
		struct dpu_nl_conf conf;
		struct dpu_nl_stats s;
		char v[32], fmt[64];
		bool any = false;

		if (bpf_map_lookup_elem(m.ident, &slot, &id) || !id.used ||
		    bpf_map_lookup_elem(m.conf, &slot, &conf) ||
		    bpf_map_lookup_elem(m.stats, &slot, pc))
			continue;
		id.tenant[DPU_NL_TENANT_LEN - 1] = '\0';
		memset(&s, 0, sizeof(s));
		for (c = 0; c < ncpus; c++)
			dpu_nl_stats_add(&s, &pc[c]);
		out_obj_open(&out, NULL);
		out_str(&out, "dev", "%s", dev);
		if (id.fn_index == DPU_NL_NO_FN) {
			out_str(&out, "level", NULL, "tenant");
			out_str(&out, "tenant", "/%s:", id.tenant);
		} else {
			out_str(&out, "level", NULL, "function");
			out_u64(&out, "function", "/%" PRIu64 ":", id.fn_index);
			out_str(&out, "tenant", " tenant %s", id.tenant);
			if (ifindex_of[slot])
				out_u64(&out, "ifindex", " ifindex %" PRIu64,
					ifindex_of[slot]);
		}
		for (b = 0; b < DPU_NL_BUCKETS; b++) {
			if (!conf.rate[b])
				continue;
			if (!any) {
				out_obj_open(&out, "limits");
				out_text(&out, " limits");
			}
			any = true;
			dpu_format_rate(conf.rate[b], v, sizeof(v));
			snprintf(fmt, sizeof(fmt), " %s %%s", bucket_limit[b]);
			out_str(&out, NULL, fmt, v);
			out_u64(&out, bucket_limit[b], NULL, conf.rate[b]);
			snprintf(fmt, sizeof(fmt), "%s-burst-ms", bucket_limit[b]);
			out_u64(&out, fmt, NULL, conf.tau_ns[b] / 1000000);
		}
		if (any)
			out_obj_close(&out);
		else
			out_text(&out, " no limits");
		dir_stats("tx", "\n    tx", s.tx_packets, s.tx_bytes,
			  s.tx_dropped, s.tx_dropped_bytes, &s.tx_delayed,
			  s.tx_delay_ns);
		dir_stats("rx", "\n    rx", s.rx_packets, s.rx_bytes,
			  s.rx_dropped, s.rx_dropped_bytes, NULL, 0);
		out_text(&out, "\n");
		out_obj_close(&out);
	}
out:
	if (m.fns >= 0)
		close(m.fns);
	if (m.conf >= 0)
		close(m.conf);
	if (m.stats >= 0)
		close(m.stats);
	if (m.ident >= 0)
		close(m.ident);
	free(pc);
	return ret;
}

int cmd_nic(int argc, char **argv)
{
	const char *dir = bpf_dir();
	int ncpus, ret = 0;

	if (argc > 0 && !cli_matches(argv[0], "show")) {
		fprintf(stderr, "dpuctl: nic: unknown command \"%s\", try \"dpuctl help\"\n",
			argv[0]);
		return 2;
	}
	if (argc > 2) {
		fprintf(stderr, "dpuctl: nic show: unexpected \"%s\"\n", argv[2]);
		return 2;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "dpuctl: nic show: possible CPUs: %s\n",
			strerror(-ncpus));
		return 1;
	}
	out_arr_open(&out, NULL);
	if (argc == 2) {
		ret = show_dev(dir, argv[1], ncpus);
	} else {
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d && (de = readdir(d)))
			if (de->d_name[0] != '.' && !strncmp(de->d_name, "dpu", 3))
				ret |= show_dev(dir, de->d_name, ncpus);
		if (d)
			closedir(d);
	}
	out_arr_close(&out);
	return ret;
}
