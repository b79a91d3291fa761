// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of dpud's pure parts: config and desired-state parsing (every
 * error message exactly), the reconcile planner, metrics formatting, the
 * decaying histogram and damping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include "dpud.h"
#include "niclim.h"
#include "kube.h"
#include "agent_messages.pb-c.h"

void dpud_log(const char *level, const char *msg, const char *fmt, ...)
{
	(void)level; (void)msg; (void)fmt;
}

/* ---------------------------------------------------------------- config */
static void config_ok(void **state)
{
	struct dpud_config c;
	char err[DPUD_ERR_LEN] = "";

	(void)state;
	dpud_config_defaults(&c);
	assert_int_equal(dpud_config_parse("d.conf",
		"# comment\n\n  listen = 0.0.0.0:9100  \n"
		"desired_dir = /tmp/des\nstate_dir=/tmp/st\n"
		"cgroup_root = kubepods/burstable\nreserve_cpu = 500m\n"
		"reserve_memory = 1Gi\nsample_interval = 500ms\n"
		"device = dpu3\nheadroom_margin = 1.5\n", &c, err,
		sizeof(err)), 0);
	assert_string_equal(c.listen, "0.0.0.0:9100");
	assert_string_equal(c.desired_dir, "/tmp/des");
	assert_string_equal(c.state_dir, "/tmp/st");
	assert_string_equal(c.cgroup_root, "kubepods/burstable");
	assert_int_equal(c.reserve_cpu_milli, 500);
	assert_int_equal(c.reserve_memory, 1ULL << 30);
	assert_int_equal(c.sample_interval_ms, 500);
	assert_string_equal(c.device, "dpu3");
	assert_true(c.headroom_margin == 1.5);
}

static void config_err(const char *text, const char *want)
{
	struct dpud_config c;
	char err[DPUD_ERR_LEN] = "";

	dpud_config_defaults(&c);
	assert_int_equal(dpud_config_parse("/etc/dpupool/dpud.conf", text, &c,
					   err, sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
}

/* the NIC limits' settings, and the burst arithmetic the BPF levels use */
static void config_nic_limits(void **state)
{
	struct dpud_config c;
	char err[256];

	(void)state;
	dpud_config_defaults(&c);
	assert_true(c.nic_limits);
	assert_int_equal(c.nic_horizon_ms, 2000);
	assert_string_equal(c.bpf_dir, "/sys/fs/bpf/dpupool");
	assert_int_equal(dpud_config_parse("x.conf",
					   "nic_limits = no\nnic_horizon = 250ms\nbpf_dir = /run/bpf\n",
					   &c, err, sizeof(err)), 0);
	assert_false(c.nic_limits);
	assert_int_equal(c.nic_horizon_ms, 250);
	assert_string_equal(c.bpf_dir, "/run/bpf");
	config_err("nic_horizon = 5ms\n",
		   "/etc/dpupool/dpud.conf:1: bad nic_horizon '5ms' (10ms to 60s)");
	config_err("nic_horizon = 2m\n",
		   "/etc/dpupool/dpud.conf:1: bad nic_horizon '2m' (10ms to 60s)");
	config_err("bpf_dir = fs/bpf\n",
		   "/etc/dpupool/dpud.conf:1: 'bpf_dir' must be an absolute path on a BPF filesystem, not 'fs/bpf'");
	config_err("nic_limits = maybe\n",
		   "/etc/dpupool/dpud.conf:1: 'nic_limits' takes yes or no, not 'maybe'");

	assert_int_equal(niclim_tau_ns(0, 100), 0);		/* no rate */
	assert_int_equal(niclim_tau_ns(1000, 0), 100000000);	/* default 100 ms */
	assert_int_equal(niclim_tau_ns(6250000, 625000), 100000000);
	assert_int_equal(niclim_tau_ns(2000, 1), 500000);	/* one packet */
	/* no overflow: a huge burst saturates */
	assert_true(niclim_tau_ns(1, UINT64_MAX) == UINT64_MAX / 2);
	assert_true(niclim_tau_ns(1, UINT64_MAX / 1000000000ULL) <= UINT64_MAX / 2);
}

static void config_k8s(void **state)
{
	struct dpud_config c;
	uint32_t out[2];
	char err[256];

	(void)state;
	dpud_config_defaults(&c);
	assert_int_equal(c.kubelet_plugin, DPUD_KUBELET_NONE);
	assert_string_equal(c.kubelet_dir, "/var/lib/kubelet");
	assert_string_equal(c.cdi_dir, "/var/run/cdi");
	assert_true(c.kube_api);
	assert_int_equal(c.k8s_slots[0], 16);
	assert_int_equal(c.k8s_slots[1], 16);
	assert_int_equal(dpud_config_parse("x.conf",
					   "kubelet_plugin = dra\nnode_name = node-7.rack2\n"
					   "k8s_slots = net:8, blk:24\nk8s_disk_size = 20Gi\n"
					   "k8s_max_disk_size = 2Ti\nprepare_timeout = 90s\n"
					   "node_status_interval = 1m\nkube_api = no\n"
					   "kubeconfig = /etc/dpupool/kubeconfig\n",
					   &c, err, sizeof(err)), 0);
	assert_int_equal(c.kubelet_plugin, DPUD_KUBELET_DRA);
	assert_string_equal(c.node_name, "node-7.rack2");
	assert_int_equal(c.k8s_slots[0], 24);
	assert_int_equal(c.k8s_slots[1], 8);
	assert_int_equal(c.k8s_disk_size, 20ULL << 30);
	assert_int_equal(c.k8s_max_disk_size, 2ULL << 40);
	assert_int_equal(c.prepare_timeout_ms, 90000);
	assert_int_equal(c.node_status_interval_ms, 60000);
	assert_false(c.kube_api);
	assert_int_equal(dpud_config_parse("x.conf", "kubelet_plugin = device-plugin\nk8s_slots = blk:4\n",
					   &c, err, sizeof(err)), 0);
	assert_int_equal(c.kubelet_plugin, DPUD_KUBELET_DEVICE_PLUGIN);
	assert_int_equal(c.k8s_slots[1], 0);
	config_err("kubelet_plugin = csi\n",
		   "/etc/dpupool/dpud.conf:1: 'kubelet_plugin' takes none, dra or device-plugin, not 'csi'");
	config_err("k8s_slots = gpu:2\n",
		   "/etc/dpupool/dpud.conf:1: bad k8s_slots 'gpu:2' (e.g. blk:16, net:8; 128 in all at most: one ResourceSlice)");
	config_err("k8s_slots = blk:100, net:100\n",
		   "/etc/dpupool/dpud.conf:1: bad k8s_slots 'blk:100, net:100' (e.g. blk:16, net:8; 128 in all at most: one ResourceSlice)");
	config_err("node_name = Node_A\n",
		   "/etc/dpupool/dpud.conf:1: bad node_name 'Node_A' (a DNS subdomain: lowercase letters, digits, '-', '.')");
	config_err("kubelet_dir = var/lib/kubelet\n",
		   "/etc/dpupool/dpud.conf:1: 'kubelet_dir' must be an absolute path, not 'var/lib/kubelet'");
	config_err("kubelet_dir = /a/very/long/path/that/goes/on/and/on/and/on/beyond/sixty/chars\n",
		   "/etc/dpupool/dpud.conf:1: 'kubelet_dir' is too long for the sockets below it (60 characters at most)");
	config_err("k8s_disk_size = 1000\n",
		   "/etc/dpupool/dpud.conf:1: bad k8s_disk_size '1000' (a quantity, a multiple of 4096: 10Gi)");
	config_err("prepare_timeout = 2h\n",
		   "/etc/dpupool/dpud.conf:1: bad prepare_timeout '2h' (1s to 1h)");
	config_err("k8s_disk_size = 2Ti\n",
		   "/etc/dpupool/dpud.conf:0: k8s_disk_size is larger than k8s_max_disk_size");

	/* slots: never more than free, shared in proportion */
	dpud_slots_split(100, (uint32_t[]){ 16, 8 }, out);
	assert_int_equal(out[0], 16);
	assert_int_equal(out[1], 8);
	dpud_slots_split(12, (uint32_t[]){ 16, 8 }, out);
	assert_int_equal(out[0], 8);
	assert_int_equal(out[1], 4);
	dpud_slots_split(1, (uint32_t[]){ 4, 4 }, out);
	assert_int_equal(out[0] + out[1], 1);
	dpud_slots_split(10, (uint32_t[]){ 16, 0 }, out);
	assert_int_equal(out[0], 10);
	assert_int_equal(out[1], 0);
	dpud_slots_split(0, (uint32_t[]){ 16, 8 }, out);
	assert_int_equal(out[0] + out[1], 0);
}

static void kubeconfig(void **state)
{
	struct kube_creds k;
	char err[512];

	(void)state;
	/* PEM "-----BEGIN CERTIFICATE-----\n" in base64, a token, names */
	assert_int_equal(kube_config_parse("/etc/dpupool/kubeconfig",
		"apiVersion: v1\nkind: Config\ncurrent-context: prod\n"
		"contexts:\n- name: dev\n  context: {cluster: a, user: u}\n"
		"- name: prod\n  context:\n    cluster: b\n    user: dpud\n"
		"clusters:\n- name: a\n  cluster: {server: 'https://a:6443'}\n"
		"- name: b\n  cluster:\n    server: https://10.0.0.1:6443/\n"
		"    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==\n"
		"users:\n- name: dpud\n  user:\n    token: abc.def\n",
		&k, err, sizeof(err)), 0);
	assert_string_equal(k.server, "https://10.0.0.1:6443");
	assert_string_equal(k.ca_pem, "-----BEGIN CERTIFICATE-----\n");
	assert_string_equal(k.token, "abc.def");
	assert_null(k.cert_pem);
	kube_creds_free(&k);
	/* JSON is YAML too; relative files are relative to the kubeconfig */
	assert_int_equal(kube_config_parse("/etc/k/config",
		"{\"current-context\": \"c\", \"contexts\": [{\"name\": \"c\", \"context\": {\"cluster\": \"k\", \"user\": \"n\"}}],"
		" \"clusters\": [{\"name\": \"k\", \"cluster\": {\"server\": \"https://k\", \"certificate-authority\": \"ca.crt\"}}],"
		" \"users\": [{\"name\": \"n\", \"user\": {\"client-certificate\": \"/pki/n.crt\", \"client-key\": \"n.key\"}}]}",
		&k, err, sizeof(err)), 0);
	assert_string_equal(k.ca_file, "/etc/k/ca.crt");
	assert_string_equal(k.cert_file, "/pki/n.crt");
	assert_string_equal(k.key_file, "/etc/k/n.key");
	kube_creds_free(&k);

	assert_int_equal(kube_config_parse("k", "kind: Config\n", &k, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k: no current-context");
	assert_int_equal(kube_config_parse("k", "current-context: x\ncontexts: []\n", &k, err,
					   sizeof(err)), -EINVAL);
	assert_string_equal(err, "k: context 'x' not found or has no cluster");
	assert_int_equal(kube_config_parse("k",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		"clusters: [{name: c, cluster: {server: 'http://c:8080'}}]\n", &k, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "k: server 'http://c:8080' is not https:// (TLS is required)");
	assert_int_equal(kube_config_parse("k",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		"clusters: [{name: c, cluster: {server: 'https://c', insecure-skip-tls-verify: true}}]\n",
		&k, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k: cluster 'c' sets insecure-skip-tls-verify: dpud always verifies the API server");
	assert_int_equal(kube_config_parse("k",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		"clusters: [{name: c, cluster: {server: 'https://c'}}]\n"
		"users: [{name: u, user: {exec: {command: aws}}}]\n", &k, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k: user 'u' uses an exec or auth-provider plugin: give dpud a token or a client certificate");
	assert_int_equal(kube_config_parse("k",
		"current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		"clusters: [{name: c, cluster: {server: 'https://c'}}]\n"
		"users: [{name: u, user: {client-certificate: /a.crt}}]\n", &k, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "k: user 'u' has a client certificate without its key (or the reverse)");
	assert_int_equal(kube_config_parse("k", "a: [unclosed\n", &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "k:"));

	/* in a pod: the service's address and the service account's files */
	{
		char dir[] = "/tmp/dpud_test_sa.XXXXXX", path[64];
		FILE *f;

		assert_non_null(mkdtemp(dir));
		unsetenv("KUBERNETES_SERVICE_HOST");
		assert_int_equal(kube_config_incluster(dir, &k, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
		setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
		setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
		assert_int_equal(kube_config_incluster(dir, &k, err, sizeof(err)), -ENOENT);
		assert_non_null(strstr(err, "service account files missing"));
		snprintf(path, sizeof(path), "%s/ca.crt", dir);
		f = fopen(path, "w");
		fclose(f);
		snprintf(path, sizeof(path), "%s/token", dir);
		f = fopen(path, "w");
		fputs("tok\n", f);
		fclose(f);
		assert_int_equal(kube_config_incluster(dir, &k, err, sizeof(err)), 0);
		assert_string_equal(k.server, "https://[fd00::1]:6443");
		assert_string_equal(k.token_file, path);
		unlink(path);
		snprintf(path, sizeof(path), "%s/ca.crt", dir);
		unlink(path);
		rmdir(dir);
		unsetenv("KUBERNETES_SERVICE_HOST");
		unsetenv("KUBERNETES_SERVICE_PORT");
	}
}

static void config_errors(void **state)
{
	(void)state;
	config_err("listen = 1.2.3.4:1\nbogus = 1\n",
		   "/etc/dpupool/dpud.conf:2: unknown key 'bogus'");
	config_err("\n\njust words\n",
		   "/etc/dpupool/dpud.conf:3: expected 'key = value'");
	config_err("listen =\n",
		   "/etc/dpupool/dpud.conf:1: missing value for 'listen'");
	config_err(" = x\n", "/etc/dpupool/dpud.conf:1: missing key");
	config_err("listen = nope\n",
		   "/etc/dpupool/dpud.conf:1: bad listen address 'nope' (want HOST:PORT or unix:/PATH)");
	config_err("listen = h:99999\n",
		   "/etc/dpupool/dpud.conf:1: bad listen address 'h:99999' (want HOST:PORT or unix:/PATH)");
	config_err("listen = [:9477\n",
		   "/etc/dpupool/dpud.conf:1: bad listen address '[:9477' (want HOST:PORT or unix:/PATH)");
	config_err("listen = [::1:80\n",
		   "/etc/dpupool/dpud.conf:1: bad listen address '[::1:80' (want HOST:PORT or unix:/PATH)");
	config_err("listen = unix:rel.sock\n",
		   "/etc/dpupool/dpud.conf:1: bad listen address 'unix:rel.sock' (want HOST:PORT or unix:/PATH)");
	config_err("provider = nocolon\n",
		   "/etc/dpupool/dpud.conf:1: bad provider address 'nocolon' (want HOST:PORT)");
	config_err("provider = h:1\nprovider_ca = /ca.pem\n",
		   "/etc/dpupool/dpud.conf:0: provider_ca, provider_cert and provider_key go together (mTLS) or not at all");
	config_err("provider_ca = /a\nprovider_cert = /b\nprovider_key = /c\n",
		   "/etc/dpupool/dpud.conf:0: provider_ca/cert/key given without provider");
	config_err("provider = h:1\nprovider_key = key.pem\n",
		   "/etc/dpupool/dpud.conf:2: 'provider_key' must be an absolute path");
	config_err("serial = a b\n",
		   "/etc/dpupool/dpud.conf:1: bad serial 'a b' (letters, digits, '-', '_', '.')");
	config_err("labels = zone=rack1,=x\n",
		   "/etc/dpupool/dpud.conf:1: bad labels 'zone=rack1,=x' (k=v,k=v with Kubernetes label syntax, at most 16)");
	config_err("labels = zone=-bad\n",
		   "/etc/dpupool/dpud.conf:1: bad labels 'zone=-bad' (k=v,k=v with Kubernetes label syntax, at most 16)");
	config_err("pods = 0\n",
		   "/etc/dpupool/dpud.conf:1: bad pods '0' (1 to 100000)");
	config_err("provider_server_name = a_b\n",
		   "/etc/dpupool/dpud.conf:1: bad provider_server_name 'a_b'");
	config_err("desired_dir = rel/dir\n",
		   "/etc/dpupool/dpud.conf:1: 'desired_dir' must be an absolute path");
	config_err("reserve_cpu = lots\n",
		   "/etc/dpupool/dpud.conf:1: bad cpu quantity 'lots' (Kubernetes: 500m, 1.5)");
	config_err("reserve_memory = 1X\n",
		   "/etc/dpupool/dpud.conf:1: bad quantity '1X' (Kubernetes: 512Mi, 2Gi, 2G = 2*10^9)");
	config_err("sample_interval = 0s\n",
		   "/etc/dpupool/dpud.conf:1: bad duration '0s' (e.g. 500ms, 10s, 1m)");
	config_err("device = eth0\n",
		   "/etc/dpupool/dpud.conf:1: bad device name 'eth0'");
	config_err("headroom_margin = 0.5\n",
		   "/etc/dpupool/dpud.conf:1: bad headroom_margin '0.5' (1.0 to 10.0)");
	config_err("cgroup_root = ../x\n",
		   "/etc/dpupool/dpud.conf:1: bad cgroup_root '../x' (a path under /sys/fs/cgroup)");
	config_err("besteffort_root = kubepods/../../etc\n",
		   "/etc/dpupool/dpud.conf:1: bad besteffort_root 'kubepods/../../etc' (a path under /sys/fs/cgroup)");
}

static void config_agent(void **state)
{
	struct dpud_config c;
	char err[DPUD_ERR_LEN] = "";
	char k[DPUD_MAX_LABELS][128], v[DPUD_MAX_LABELS][64];
	size_t n;

	(void)state;
	dpud_config_defaults(&c);
	assert_int_equal(c.pods, 110);
	assert_string_equal(c.provider, "");
	assert_int_equal(dpud_config_parse("f",
		"listen = unix:/run/dpud/m.sock\n"
		"provider = 10.0.2.2:9900\nprovider_ca = /t/ca.pem\n"
		"provider_cert = /t/c.pem\nprovider_key = /t/k.pem\n"
		"provider_server_name = localhost\nserial = dpu-16c-0001\n"
		"node_group = dpu-16c\npods = 64\n"
		"labels = topology.kubernetes.io/zone=rack1, tier=online\n"
		"directive_hook = /usr/lib/dpud/join\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "unix:/run/dpud/m.sock");
	assert_string_equal(c.provider, "10.0.2.2:9900");
	assert_string_equal(c.provider_key, "/t/k.pem");
	assert_string_equal(c.provider_server_name, "localhost");
	assert_string_equal(c.serial, "dpu-16c-0001");
	assert_string_equal(c.node_group, "dpu-16c");
	assert_string_equal(c.directive_hook, "/usr/lib/dpud/join");
	assert_int_equal(c.pods, 64);
	assert_int_equal(dpud_parse_labels(c.labels, k, v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(k[0], "topology.kubernetes.io/zone");
	assert_string_equal(v[0], "rack1");
	assert_string_equal(k[1], "tier");
	assert_string_equal(v[1], "online");
	assert_int_equal(dpud_parse_labels("", k, v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(dpud_parse_labels("a=", k, v, &n), 0);
	assert_string_equal(v[0], "");
	assert_int_equal(dpud_parse_labels("/a=b", k, v, &n), -EINVAL);
	assert_int_equal(dpud_parse_labels("a=b c", k, v, &n), -EINVAL);
}

/* The report as the provider decodes it; the directive as it encodes it */
static void agent_messages(void **state)
{
	struct dpud_host_report r;
	struct dpud_directive d;
	uint8_t *buf;
	size_t len;
	char txt[512];
	/* Directive{disposition=LEAVE(2), group="g1", provider_id="dpupool://s1",
	 * report_interval_seconds=7, message="bye"}, encoded by hand */
	static const uint8_t dir[] = {
		0x08, 0x02, 0x12, 0x02, 'g', '1', 0x1a, 0x0c, 'd', 'p', 'u',
		'p', 'o', 'o', 'l', ':', '/', '/', 's', '1', 0x20, 0x07, 0x2a,
		0x03, 'b', 'y', 'e',
	};

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.serial, "s1");
	r.nlabels = 1;
	strcpy(r.lkeys[0], "zone");
	strcpy(r.lvals[0], "r1");
	r.cpu_milli = 2000;
	r.mem_bytes = 1LL << 30;
	r.pods = 110;
	r.hr_cpu_milli = 1500;
	r.nslots = 1;
	strcpy(r.slots[0].type, "blk");
	r.slots[0].free = 62;
	r.slots[0].total = 64;
	assert_int_equal(dpud_report_pack(&r, false, &buf, &len), 0);
	/*
	 * ReportRequest{host=1:HostReport{serial=1:"s1", labels=3:{zone:r1},
	 * capacity=4:{1:2000, 2:2^30, 3:110}, headroom=5:{1:1500},
	 * free_slots=6:{1:"blk", 2:62, 3:64}}}, field by field
	 */
	static const uint8_t want[] = {
		0x0a, 0x2d,
		0x0a, 0x02, 's', '1',
		0x1a, 0x0a, 0x0a, 0x04, 'z', 'o', 'n', 'e', 0x12, 0x02, 'r', '1',
		0x22, 0x0b, 0x08, 0xd0, 0x0f, 0x10, 0x80, 0x80, 0x80, 0x80, 0x04,
		0x18, 0x6e,
		0x2a, 0x03, 0x08, 0xdc, 0x0b,
		0x32, 0x09, 0x0a, 0x03, 'b', 'l', 'k', 0x10, 0x3e, 0x18, 0x40,
	};
	assert_int_equal(len, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	free(buf);
	/* RegisterRequest has the same layout */
	assert_int_equal(dpud_report_pack(&r, true, &buf, &len), 0);
	assert_memory_equal(buf, want, sizeof(want));
	free(buf);

	/* with the DPU's functions, as the provider's protobuf decodes them */
	{
		struct dpud_actual_fn fns[2] = {
			{ .index = 0, .type = DPU_FN_TYPE_BLK,
			  .state = DPU_FN_STATE_READY, .tenant = "host",
			  .size = 256 << 20 },
			{ .index = 7, .type = DPU_FN_TYPE_NET,
			  .state = DPU_FN_STATE_CREATING, .tenant = "web",
			  .has_mac = true,
			  .mac = { 0x02, 0xdd, 0, 0, 0xab, 0x01 } },
		};
		Dpupool__Agent__V1__RegisterRequest *rq;

		r.fns = fns;
		r.nfns = 2;
		assert_int_equal(dpud_report_pack(&r, true, &buf, &len), 0);
		rq = dpupool__agent__v1__register_request__unpack(NULL, len, buf);
		assert_non_null(rq);
		assert_string_equal(rq->host->serial, "s1");
		assert_int_equal(rq->host->n_functions, 2);
		assert_int_equal(rq->host->functions[0]->index, 0);
		assert_string_equal(rq->host->functions[0]->type, "blk");
		assert_string_equal(rq->host->functions[0]->state, "ready");
		assert_string_equal(rq->host->functions[0]->tenant, "host");
		assert_int_equal(rq->host->functions[0]->size_bytes, 256 << 20);
		assert_string_equal(rq->host->functions[0]->mac, "");
		assert_int_equal(rq->host->functions[1]->index, 7);
		assert_string_equal(rq->host->functions[1]->type, "net");
		assert_string_equal(rq->host->functions[1]->state, "creating");
		assert_string_equal(rq->host->functions[1]->mac,
				    "02:dd:00:00:ab:01");
		assert_int_equal(rq->host->functions[1]->size_bytes, 0);
		assert_int_equal(rq->host->free_slots[0]->total, 64);
		dpupool__agent__v1__register_request__free_unpacked(rq, NULL);
		free(buf);
	}

	assert_int_equal(dpud_directive_unpack(dir, sizeof(dir), &d), 0);
	assert_int_equal(d.disposition, DPUD_DISP_LEAVE);
	assert_string_equal(d.group, "g1");
	assert_string_equal(d.provider_id, "dpupool://s1");
	assert_int_equal(d.interval_s, 7);
	assert_string_equal(d.message, "bye");
	assert_string_equal(dpud_disposition_str(d.disposition), "leave");
	assert_true(dpud_directive_format(&d, txt, sizeof(txt)) > 0);
	assert_non_null(strstr(txt, "disposition = leave\ngroup = g1\nprovider_id = dpupool://s1\n"));
	/* truncated input */
	assert_int_equal(dpud_directive_unpack(dir, 5, &d), -EBADMSG);

	/* strings that would inject lines into the directive file or env */
	{
		Dpupool__Agent__V1__Directive m = DPUPOOL__AGENT__V1__DIRECTIVE__INIT;
		static const char *const bad[][3] = {
			{ "g1\ndisposition = join", "dpupool://s1", "" },
			{ "g 1", "dpupool://s1", "" },
			{ "g1", "dpupool://s1\nx", "" },
			{ "g1", "dpupool:// s1", "" },
			{ "g1", "dpupool://s1", "line\nbreak" },
			{ "g1", "dpupool://s\xc3\xa9", "" },
			{ "g1234567890123456789012345678901234567890123456789012345678901234", "p", "" },
		};
		uint8_t out[512];
		size_t i, n;

		m.disposition = DPUPOOL__AGENT__V1__DISPOSITION__JOIN;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			m.group = (char *)bad[i][0];
			m.provider_id = (char *)bad[i][1];
			m.message = (char *)bad[i][2];
			n = dpupool__agent__v1__directive__pack(&m, out);
			assert_int_equal(dpud_directive_unpack(out, n, &d), -EINVAL);
		}
		m.group = "pool-a_1.x";
		m.provider_id = "dpupool://s1";
		m.message = "welcome, host s1 (group pool-a_1.x)";
		n = dpupool__agent__v1__directive__pack(&m, out);
		assert_int_equal(dpud_directive_unpack(out, n, &d), 0);
		assert_string_equal(d.message, m.message);
	}
}

/* a failed dump shows no stale functions and says so */
static void metrics_dpu_down(void **state)
{
	struct dpud_hist h = { 0 };
	struct dpud_headroom hr = { 0 };
	struct dpud_metrics m = { .device = "dpu0", .attach = &h,
				  .headroom = &hr, .dump_age_s = -1 };
	size_t len;
	char *out;

	(void)state;
	out = dpud_metrics_render(&m, &len);
	assert_non_null(out);
	assert_non_null(strstr(out, "\ndpud_dpu_up 0\n"));
	assert_non_null(strstr(out, "\ndpud_state_ok 0\n"));
	assert_null(strstr(out, "dpu_functions{"));
	assert_null(strstr(out, "dpud_dpu_dump_age_seconds "));
	free(out);
}

static void config_hook_and_empty(void **state)
{
	char err[DPUD_ERR_LEN] = "";
	struct dpud_config c;

	(void)state;
	dpud_config_defaults(&c);
	assert_int_equal(c.hook_timeout_ms, 60000);
	assert_false(c.delete_on_empty_start);
	assert_int_equal(dpud_config_parse("t.conf", "hook_timeout = 5s\ndelete_on_empty_start = yes\n",
					   &c, err, sizeof(err)), 0);
	assert_int_equal(c.hook_timeout_ms, 5000);
	assert_true(c.delete_on_empty_start);
	assert_int_equal(dpud_config_parse("t.conf", "delete_on_empty_start = 1\n",
					   &c, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.conf:1: 'delete_on_empty_start' takes yes or no, not '1'");
	assert_int_equal(dpud_config_parse("t.conf", "hook_timeout = 0s\n",
					   &c, err, sizeof(err)), -EINVAL);
}

static void small_parsers(void **state)
{
	uint64_t m;
	uint32_t ms;

	(void)state;
	assert_int_equal(dpud_parse_cpu_milli("1.5", &m), 0);
	assert_int_equal(m, 1500);
	assert_int_equal(dpud_parse_cpu_milli("2", &m), 0);
	assert_int_equal(m, 2000);
	assert_int_equal(dpud_parse_cpu_milli("250m", &m), 0);
	assert_int_equal(m, 250);
	assert_int_equal(dpud_parse_cpu_milli("-1", &m), -EINVAL);
	/* Kubernetes rounds a fraction of a milli up, so do we */
	assert_int_equal(dpud_parse_cpu_milli("1.5m", &m), 0);
	assert_int_equal(m, 2);
	assert_int_equal(dpud_parse_cpu_milli("1.5x", &m), -EINVAL);
	{
		uint64_t b;

		/* the same quantities as dpu-provider: G is 10^9, Gi 2^30 */
		assert_int_equal(dpud_parse_bytes("1G", &b), 0);
		assert_int_equal(b, 1000000000ULL);
		assert_int_equal(dpud_parse_bytes("1Gi", &b), 0);
		assert_int_equal(b, 1ULL << 30);
		assert_int_equal(dpud_parse_bytes("1.5Gi", &b), 0);
		assert_int_equal(b, 3ULL << 29);
		assert_int_equal(dpud_parse_bytes("500m", &b), 0);
		assert_int_equal(b, 1);
		assert_int_equal(dpud_parse_bytes("1e3", &b), 0);
		assert_int_equal(b, 1000);
		assert_int_equal(dpud_parse_bytes("9Ei", &b), -EINVAL);
		assert_int_equal(dpud_parse_bytes("-1", &b), -EINVAL);
		assert_int_equal(dpud_parse_bytes("1 Gi", &b), -EINVAL);
	}
	assert_int_equal(dpud_parse_duration_ms("10s", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(dpud_parse_duration_ms("2m", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(dpud_parse_duration_ms("7", &ms), 0);
	assert_int_equal(ms, 7000);
	assert_int_equal(dpud_parse_duration_ms("1h", &ms), -EINVAL);
	assert_true(dpud_name_ok("disk-db.1_x"));
	assert_false(dpud_name_ok("a/b"));
	assert_false(dpud_name_ok(".."));
	assert_false(dpud_name_ok(""));
}

/* --------------------------------------------------------- desired state */
static void desired_ok(void **state)
{
	struct dpud_desired d = { 0 };
	char err[DPUD_ERR_LEN] = "";

	(void)state;
	assert_int_equal(dpud_desired_parse("/d/tenant-acme.conf",
		"tenant-acme.conf", "limits = iops 5k bps 100M bps-burst 10M\n",
		&d, err, sizeof(err)), 0);
	assert_int_equal(dpud_desired_parse("/d/tenant-web.conf",
		"tenant-web.conf", "parent = acme\n", &d, err, sizeof(err)), 0);
	assert_int_equal(dpud_desired_parse("/d/disk-db.conf", "disk-db.conf",
		"tenant = acme\ntype = blk\nsize = 10Gi\n", &d, err,
		sizeof(err)), 0);
	assert_int_equal(dpud_desired_parse("/d/nic0.conf", "nic0.conf",
		"# a NIC\ntenant = web\ntype = net\nmac = 02:00:00:00:00:07\n"
		"mtu = 9000\nnetns = /var/run/netns/x\nifname = eth1\n", &d,
		err, sizeof(err)), 0);
	assert_int_equal(d.ntenants, 2);
	assert_string_equal(d.tenants[0].name, "acme");
	assert_true(d.tenants[0].has_limits);
	assert_true(d.tenants[0].lim.has_rate[0]);
	assert_int_equal(d.tenants[0].lim.rate[0], 5000);
	assert_int_equal(d.tenants[0].lim.rate[3], 100000000);
	assert_int_equal(d.tenants[0].lim.burst[3], 10000000);
	assert_string_equal(d.tenants[1].parent, "acme");
	assert_int_equal(d.natt, 2);
	assert_string_equal(d.att[0].name, "disk-db");
	assert_int_equal(d.att[0].type, DPU_FN_TYPE_BLK);
	assert_int_equal(d.att[0].size, 10ULL << 30);
	assert_string_equal(d.att[1].name, "nic0");
	assert_int_equal(d.att[1].type, DPU_FN_TYPE_NET);
	assert_true(d.att[1].has_mac);
	assert_int_equal(d.att[1].mac[5], 7);
	assert_int_equal(d.att[1].mtu, 9000);
	assert_string_equal(d.att[1].netns, "/var/run/netns/x");
	assert_string_equal(d.att[1].ifname, "eth1");
	dpud_desired_free(&d);
}

static void desired_err(const char *base, const char *text, const char *want)
{
	struct dpud_desired d = { 0 };
	char err[DPUD_ERR_LEN] = "", path[256];

	snprintf(path, sizeof(path), "/d/%s", base);
	assert_int_equal(dpud_desired_parse(path, base, text, &d, err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, want);
	dpud_desired_free(&d);
}

static void desired_errors(void **state)
{
	(void)state;
	desired_err("a.conf", "tenant = acme\ntype = disk\n",
		    "/d/a.conf:2: bad type 'disk' (blk or net)");
	desired_err("a.conf", "tenant = acme\ntype = blk\nsize = 10Q\n",
		    "/d/a.conf:3: bad size '10Q' (e.g. 10Gi)");
	desired_err("a.conf", "tenant = acme\ntype = blk\n",
		    "/d/a.conf:2: missing 'size' for type blk");
	desired_err("a.conf", "type = blk\nsize = 1Gi\n",
		    "/d/a.conf:2: missing 'tenant'");
	desired_err("a.conf", "tenant = acme\n\n",
		    "/d/a.conf:2: missing 'type' (blk or net)");
	desired_err("a.conf", "tenant = acme\nmtu = 1500\ntype = blk\nsize = 1Gi\n",
		    "/d/a.conf:2: 'mtu' is only for type net");
	desired_err("a.conf", "tenant = acme\ntype = net\nsize = 1Gi\n",
		    "/d/a.conf:3: 'size' is only for type blk");
	desired_err("a.conf", "tenant = acme\ntype = net\ntype = blk\n",
		    "/d/a.conf:3: duplicate key 'type' (first on line 2)");
	desired_err("a.conf", "tenant = acme\ncolor = red\n",
		    "/d/a.conf:2: unknown key 'color'");
	desired_err("a.conf", "tenant = ac/me\n",
		    "/d/a.conf:1: bad tenant name 'ac/me'");
	desired_err("a.conf", "type = net\nmac = 01:00:00:00:00:01\n",
		    "/d/a.conf:2: bad MAC address '01:00:00:00:00:01'");
	desired_err("a.conf", "type = net\nmtu = 10\n",
		    "/d/a.conf:2: bad mtu '10' (68 to 65535)");
	desired_err("a.conf", "type = net\nnetns = x\n",
		    "/d/a.conf:2: netns must be the absolute path of a netns file");
	desired_err("a.conf", "type = net\nifname = way-too-long-name0\n",
		    "/d/a.conf:2: bad interface name 'way-too-long-name0'");
	desired_err("tenant-t.conf", "limits = iops 5k warp 9\n",
		    "/d/tenant-t.conf:1: unknown limit 'warp'");
	desired_err("tenant-t.conf", "limits = iops\n",
		    "/d/tenant-t.conf:1: limit 'iops' needs a value");
	desired_err("tenant-t.conf", "limits = iops fast\n",
		    "/d/tenant-t.conf:1: bad rate 'fast' for 'iops'");
	desired_err("tenant-t.conf", "parent = t\n",
		    "/d/tenant-t.conf:1: tenant 't' cannot be its own parent");
	desired_err("tenant-t.conf", "size = 1Gi\n",
		    "/d/tenant-t.conf:1: unknown key 'size'");
	desired_err("tenant-a b.conf", "",
		    "/d/tenant-a b.conf:0: bad tenant name 'a b' in the file name");
}

/* ---------------------------------------------------------------- planner */
static void mac9(uint8_t mac[6], void *arg)
{
	(void)arg;
	memcpy(mac, "\x02\x09\x09\x09\x09\x09", 6);
}

static struct dpud_desired mk_desired(void)
{
	static struct dpud_tenant_spec t[2] = {
		{ .name = "web", .parent = "acme" },	/* child first */
		{ .name = "acme" },
	};
	static struct dpud_attach_spec a[2] = {
		{ .name = "disk-db", .tenant = "acme", .type = DPU_FN_TYPE_BLK,
		  .size = 1 << 30 },
		{ .name = "nic0", .tenant = "web", .type = DPU_FN_TYPE_NET,
		  .netns = "/run/netns/x", .ifname = "eth1" },
	};
	struct dpud_desired d = { t, 2, a, 2 };

	return d;
}

static void plan_fresh(void **state)
{
	struct dpud_desired d = mk_desired();
	struct dpud_actual_fn fns[] = {
		{ .index = 0, .type = DPU_FN_TYPE_BLK, .state = DPU_FN_STATE_READY,
		  .tenant = "other", .size = 4096 },
	};
	struct dpud_actual a = { .fns = fns, .nfns = 1, .max_fns = 16 };
	struct dpud_action *x;
	int n;

	(void)state;
	n = dpud_plan(&d, &a, NULL, 0, mac9, NULL, &x);
	assert_int_equal(n, 4);
	assert_int_equal(x[0].kind, DPUD_ACT_TENANT_NEW);
	assert_string_equal(x[0].name, "acme");	/* parent first */
	assert_int_equal(x[1].kind, DPUD_ACT_TENANT_NEW);
	assert_string_equal(x[1].name, "web");
	assert_int_equal(x[2].kind, DPUD_ACT_FN_NEW);
	assert_string_equal(x[2].name, "disk-db");
	assert_int_equal(x[2].index, 1);	/* 0 is someone else's */
	assert_int_equal(x[2].rec.index, 1);
	assert_int_equal(x[2].rec.size, 1 << 30);
	assert_int_equal(x[3].kind, DPUD_ACT_FN_NEW);
	assert_int_equal(x[3].index, 2);
	assert_true(x[3].rec.has_mac);
	assert_memory_equal(x[3].rec.mac, "\x02\x09\x09\x09\x09\x09", 6);
	free(x);
}

static void plan_steady(void **state)
{
	struct dpud_desired d = mk_desired();
	struct dpud_actual_tenant ts[] = {
		{ .name = "acme" }, { .name = "web", .parent = "acme" },
	};
	struct dpud_actual_fn fns[] = {
		{ .index = 3, .type = DPU_FN_TYPE_BLK, .state = DPU_FN_STATE_READY,
		  .tenant = "acme", .size = 1 << 30 },
		{ .index = 4, .type = DPU_FN_TYPE_NET, .state = DPU_FN_STATE_READY,
		  .tenant = "web", .has_mac = true, .mac = { 2, 9, 9, 9, 9, 9 },
		  .ifindex = 42 },
	};
	struct dpud_record r[] = {
		{ .name = "disk-db", .index = 3, .type = DPU_FN_TYPE_BLK,
		  .size = 1 << 30 },
		{ .name = "nic0", .index = 4, .type = DPU_FN_TYPE_NET,
		  .has_mac = true, .mac = { 2, 9, 9, 9, 9, 9 } },
	};
	struct dpud_actual a = { .fns = fns, .nfns = 2, .tenants = ts, .ntenants = 2, .max_fns = 16 };
	struct dpud_action *x;
	int n;

	(void)state;
	/* NIC not set up yet */
	n = dpud_plan(&d, &a, r, 2, mac9, NULL, &x);
	assert_int_equal(n, 1);
	assert_int_equal(x[0].kind, DPUD_ACT_NIC_SETUP);
	assert_int_equal(x[0].index, 4);
	assert_int_equal(x[0].ifindex, 42);
	free(x);
	/* all done: nothing to do (restart idempotence) */
	r[1].nic_done = true;
	n = dpud_plan(&d, &a, r, 2, mac9, NULL, &x);
	assert_int_equal(n, 0);
	free(x);
	/* still creating: wait, no NIC setup, no duplicate */
	fns[1].state = DPU_FN_STATE_CREATING;
	r[1].nic_done = false;
	n = dpud_plan(&d, &a, r, 2, mac9, NULL, &x);
	assert_int_equal(n, 0);
	free(x);
}

static void plan_crash_mid_attach(void **state)
{
	/* killed after the record was saved, before FN_NEW reached the
	 * kernel: created at the recorded index with the recorded MAC */
	struct dpud_desired d = mk_desired();
	struct dpud_actual_tenant ts[] = {
		{ .name = "acme" }, { .name = "web", .parent = "acme" },
	};
	struct dpud_actual_fn fns[] = {
		{ .index = 3, .type = DPU_FN_TYPE_BLK, .state = DPU_FN_STATE_CREATING,
		  .tenant = "acme", .size = 1 << 30 },
	};
	struct dpud_record r[] = {
		{ .name = "disk-db", .index = 3, .type = DPU_FN_TYPE_BLK,
		  .size = 1 << 30 },
		{ .name = "nic0", .index = 7, .type = DPU_FN_TYPE_NET,
		  .has_mac = true, .mac = { 2, 1, 2, 3, 4, 5 } },
	};
	struct dpud_actual a = { .fns = fns, .nfns = 1, .tenants = ts, .ntenants = 2, .max_fns = 16 };
	struct dpud_action *x;
	int n;

	(void)state;
	n = dpud_plan(&d, &a, r, 2, mac9, NULL, &x);
	assert_int_equal(n, 1);
	assert_int_equal(x[0].kind, DPUD_ACT_FN_NEW);
	assert_string_equal(x[0].name, "nic0");
	assert_int_equal(x[0].index, 7);
	assert_memory_equal(x[0].rec.mac, "\x02\x01\x02\x03\x04\x05", 6);
	free(x);
}

static void plan_not_ours_and_removed(void **state)
{
	struct dpud_desired d = mk_desired();
	struct dpud_actual_tenant ts[] = {
		{ .name = "acme" }, { .name = "web", .parent = "acme" },
	};
	struct dpud_actual_fn fns[] = {
		/* index 3 was taken by someone else's net function */
		{ .index = 3, .type = DPU_FN_TYPE_NET, .state = DPU_FN_STATE_READY },
		/* ours, no longer desired */
		{ .index = 5, .type = DPU_FN_TYPE_BLK, .state = DPU_FN_STATE_READY,
		  .size = 4096 },
		{ .index = 4, .type = DPU_FN_TYPE_NET, .state = DPU_FN_STATE_FAILED,
		  .has_mac = true, .mac = { 2, 9, 9, 9, 9, 9 } },
	};
	struct dpud_record r[] = {
		{ .name = "disk-db", .index = 3, .type = DPU_FN_TYPE_BLK,
		  .size = 1 << 30 },
		{ .name = "old", .index = 5, .type = DPU_FN_TYPE_BLK,
		  .size = 4096 },
		{ .name = "gone", .index = 6, .type = DPU_FN_TYPE_BLK,
		  .size = 4096 },
		{ .name = "nic0", .index = 4, .type = DPU_FN_TYPE_NET,
		  .has_mac = true, .mac = { 2, 9, 9, 9, 9, 9 } },
	};
	struct dpud_actual a = { .fns = fns, .nfns = 3, .tenants = ts, .ntenants = 2, .max_fns = 16 };
	struct dpud_action *x;
	int n;

	(void)state;
	n = dpud_plan(&d, &a, r, 4, mac9, NULL, &x);
	assert_int_equal(n, 4);
	assert_int_equal(x[0].kind, DPUD_ACT_FN_DEL);
	assert_string_equal(x[0].name, "old");
	assert_int_equal(x[0].index, 5);
	assert_int_equal(x[1].kind, DPUD_ACT_RECORD_DROP);
	assert_string_equal(x[1].name, "gone");
	assert_int_equal(x[2].kind, DPUD_ACT_FN_NEW);	/* disk-db moves */
	assert_string_equal(x[2].name, "disk-db");
	assert_int_equal(x[2].index, 0);
	assert_int_equal(x[3].kind, DPUD_ACT_FN_DEL);	/* failed: redo */
	assert_string_equal(x[3].name, "nic0");
	assert_int_equal(x[3].index, 4);
	free(x);
}

static void plan_blocked_and_limits(void **state)
{
	struct dpud_tenant_spec t[] = {
		{ .name = "a", .has_limits = true,
		  .lim = { .has_rate = { true }, .rate = { 5000 } } },
		{ .name = "orphan", .parent = "nope" },
	};
	struct dpud_attach_spec att[] = {
		{ .name = "x", .tenant = "ghost", .type = DPU_FN_TYPE_BLK,
		  .size = 4096 },
		{ .name = "y", .tenant = "a", .type = DPU_FN_TYPE_BLK,
		  .size = 4096 },
	};
	struct dpud_desired d = { t, 2, att, 2 };
	struct dpud_actual_tenant ts[] = { { .name = "a" } };
	struct dpud_actual_fn fns[] = {
		{ .index = 0, .type = DPU_FN_TYPE_BLK }
	};
	struct dpud_actual a = { .fns = fns, .nfns = 1, .tenants = ts, .ntenants = 1, .max_fns = 1 };
	struct dpud_action *x;
	int n;

	(void)state;
	n = dpud_plan(&d, &a, NULL, 0, mac9, NULL, &x);
	assert_int_equal(n, 4);
	assert_int_equal(x[0].kind, DPUD_ACT_TENANT_SET);
	assert_string_equal(x[0].name, "a");
	assert_int_equal(x[1].kind, DPUD_ACT_BLOCKED);
	assert_string_equal(x[1].why, "parent tenant 'nope' does not exist");
	assert_int_equal(x[2].kind, DPUD_ACT_BLOCKED);
	assert_string_equal(x[2].why, "tenant 'ghost' does not exist");
	assert_int_equal(x[3].kind, DPUD_ACT_BLOCKED);
	assert_string_equal(x[3].why, "no free function slot");
	free(x);
}

static void record_roundtrip(void **state)
{
	struct dpud_record r = { .name = "nic0", .index = 12,
				 .type = DPU_FN_TYPE_NET, .has_mac = true,
				 .mac = { 2, 0xab, 0, 0, 0, 1 },
				 .nic_done = true }, back;
	char buf[512];

	(void)state;
	dpud_record_format(&r, buf, sizeof(buf));
	assert_int_equal(dpud_record_parse("nic0", buf, &back), 0);
	assert_memory_equal(&r, &back, sizeof(r));
	assert_int_equal(dpud_record_parse("x", "type = blk\n", &back),
			 -EINVAL);
}

static void plan_type_change_and_move(void **state)
{
	struct dpud_attach_spec att[] = {
		{ .name = "a", .tenant = "t2", .type = DPU_FN_TYPE_BLK,
		  .size = 4096 },
		{ .name = "b", .tenant = "t1", .type = DPU_FN_TYPE_NET },
	};
	struct dpud_desired d = { NULL, 0, att, 2 };
	struct dpud_actual_tenant ts[] = { { .name = "t1" }, { .name = "t2" } };
	struct dpud_actual_fn fns[] = {
		{ .index = 0, .type = DPU_FN_TYPE_BLK, .size = 4096,
		  .state = DPU_FN_STATE_READY, .tenant = "t1" },
		{ .index = 1, .type = DPU_FN_TYPE_BLK, .size = 4096,
		  .state = DPU_FN_STATE_READY, .tenant = "t1" },
	};
	struct dpud_record r[] = {
		{ .name = "a", .index = 0, .type = DPU_FN_TYPE_BLK, .size = 4096 },
		/* b was a disk, now desired as a NIC */
		{ .name = "b", .index = 1, .type = DPU_FN_TYPE_BLK, .size = 4096 },
	};
	struct dpud_actual a = { .fns = fns, .nfns = 2, .tenants = ts, .ntenants = 2, .max_fns = 8 };
	struct dpud_action *x;
	int n;

	(void)state;
	n = dpud_plan(&d, &a, r, 2, mac9, NULL, &x);
	assert_int_equal(n, 2);
	assert_int_equal(x[0].kind, DPUD_ACT_FN_SET_TENANT);
	assert_string_equal(x[0].name, "a");
	assert_int_equal(x[0].index, 0);
	assert_int_equal(x[1].kind, DPUD_ACT_FN_DEL);
	assert_string_equal(x[1].name, "b");
	assert_int_equal(x[1].index, 1);
	free(x);
	/* once b's disk is gone: a NIC at a new index, never at 0 or 1 */
	a.nfns = 1;
	n = dpud_plan(&d, &a, r, 2, mac9, NULL, &x);
	assert_int_equal(n, 2);
	assert_int_equal(x[1].kind, DPUD_ACT_FN_NEW);
	assert_string_equal(x[1].name, "b");
	assert_int_equal(x[1].index, 2);
	assert_int_equal(x[1].rec.type, DPU_FN_TYPE_NET);
	free(x);
}

static void records_on_disk(void **state)
{
	char dir[] = "/tmp/dpud_test.XXXXXX", path[128];
	struct dpud_record r1 = { .name = "disk-db", .index = 3,
				  .type = DPU_FN_TYPE_BLK, .size = 1 << 20 };
	struct dpud_record r2 = { .name = "nic0", .index = 4,
				  .type = DPU_FN_TYPE_NET, .has_mac = true,
				  .mac = { 2, 1, 2, 3, 4, 5 } };
	struct dpud_record *recs = NULL;
	char err[PATH_MAX + 64] = "";
	size_t n = 0;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(dpud_record_save(dir, &r1), 0);
	assert_int_equal(dpud_record_save(dir, &r2), 0);
	r2.nic_done = true;
	assert_int_equal(dpud_record_save(dir, &r2), 0);	/* replace */
	snprintf(path, sizeof(path), "%s/junk.fn", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("garbage\n", f);
	fclose(f);
	/* a bad record stops the load, naming it: nothing may be planned */
	assert_int_equal(dpud_records_load(dir, &recs, &n, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "junk.fn: not a state record"));
	unlink(path);
	assert_int_equal(dpud_records_load(dir, &recs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	if (strcmp(recs[0].name, "nic0") == 0) {
		struct dpud_record t = recs[0];

		recs[0] = recs[1];
		recs[1] = t;
	}
	assert_memory_equal(&recs[0], &r1, sizeof(r1));
	assert_memory_equal(&recs[1], &r2, sizeof(r2));
	free(recs);
	assert_int_equal(dpud_record_remove(dir, "disk-db"), 0);
	assert_int_equal(dpud_record_remove(dir, "disk-db"), 0);
	assert_int_equal(dpud_records_load(dir, &recs, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	free(recs);
	assert_int_equal(dpud_record_remove(dir, "nic0"), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void desired_dir(void **state)
{
	char dir[] = "/tmp/dpud_test.XXXXXX", want[256], p[256];
	char err[DPUD_ERR_LEN] = "";
	struct dpud_desired d;
	const char *names[] = { "tenant-a.conf", "tenant-b.conf", "n1.conf",
				"n2.conf", "README", ".hidden.conf" };
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "README", "not a conf file: ignored\n");
	write_file(dir, ".hidden.conf", "garbage: ignored\n");
	write_file(dir, "tenant-a.conf", "parent = b\n");
	write_file(dir, "tenant-b.conf", "limits = iops 1k\n");
	write_file(dir, "n1.conf", "tenant = a\ntype = net\nifname = eth1\n");
	assert_int_equal(dpud_desired_load(dir, &d, err, sizeof(err)), 0);
	assert_int_equal(d.ntenants, 2);
	assert_int_equal(d.natt, 1);
	dpud_desired_free(&d);

	write_file(dir, "n2.conf", "tenant = b\ntype = net\nifname = eth1\n");
	assert_int_equal(dpud_desired_load(dir, &d, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s/n2.conf:1: ifname 'eth1' also used by 'n1'", dir);
	assert_string_equal(err, want);
	write_file(dir, "n2.conf", "tenant = b\ntype = net\nifname = eth2\n");

	write_file(dir, "tenant-b.conf", "parent = a\n");	/* a loop */
	assert_int_equal(dpud_desired_load(dir, &d, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "%s/tenant-a.conf:1: tenant parents loop or nest deeper than 7",
		 dir);
	assert_string_equal(err, want);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(dpud_desired_load("/nonexistent/dir", &d, err,
					   sizeof(err)), -EINVAL);
	assert_string_equal(err, "/nonexistent/dir:0: cannot open directory: No such file or directory");
}

/* ---------------------------------------------------------------- metrics */
static void metrics_format(void **state)
{
	struct dpud_actual_tenant ts[] = {
		{ .name = "acme", .stats = { .blk_ios = 10, .blk_bytes = 40960,
					     .tx_bytes = 5, .rx_bytes = 6,
					     .throttled_ns = 1500000000 } },
	};
	struct dpud_actual_fn fns[] = {
		{ .index = 0, .type = DPU_FN_TYPE_BLK, .state = DPU_FN_STATE_READY },
		{ .index = 1, .type = DPU_FN_TYPE_NET, .state = DPU_FN_STATE_CREATING },
	};
	struct dpud_actual a = { .fns = fns, .nfns = 2, .tenants = ts, .ntenants = 1, .max_fns = 4096 };
	struct dpud_hist h = { 0 };
	struct dpud_headroom hr = { .valid = true, .cpu_capacity_milli = 2000,
				    .mem_capacity = 1 << 30,
				    .cpu_reclaimable_milli = 1250 };
	struct dpud_metrics m = { .device = "dpu0", .actual = &a,
				  .have_actual = true, .attach = &h,
				  .reconciles = 3, .managed = 2,
				  .headroom = &hr, .dpu_up = true,
				  .state_ok = true, .dump_age_s = 1.5,
				  .conn_timeouts = 4 };
	size_t len;
	char *out;

	(void)state;
	dpud_hist_observe(&h, 0.02);
	dpud_hist_observe(&h, 2.2);
	dpud_hist_observe(&h, 100);
	out = dpud_metrics_render(&m, &len);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
#define HAS(s) assert_non_null(strstr(out, s))
	HAS("\ndpud_dpu_up 1\n");
	HAS("\ndpud_dpu_dump_age_seconds 1.5\n");
	HAS("\ndpud_state_ok 1\n");
	HAS("\ndpud_http_timeouts_total 4\n");
	HAS("# HELP dpu_functions Functions of the DPU by type and state.\n"
	    "# TYPE dpu_functions gauge\n"
	    "dpu_functions{device=\"dpu0\",type=\"blk\",state=\"creating\"} 0\n"
	    "dpu_functions{device=\"dpu0\",type=\"blk\",state=\"ready\"} 1\n");
	HAS("dpu_functions{device=\"dpu0\",type=\"net\",state=\"creating\"} 1\n");
	HAS("# TYPE dpu_function_slots_free gauge\n"
	    "dpu_function_slots_free{device=\"dpu0\"} 4094\n");
	HAS("# TYPE dpu_tenant_io_total counter\n"
	    "dpu_tenant_io_total{device=\"dpu0\",tenant=\"acme\"} 10\n");
	HAS("dpu_tenant_bytes_total{device=\"dpu0\",tenant=\"acme\",kind=\"blk\"} 40960\n");
	HAS("dpu_tenant_bytes_total{device=\"dpu0\",tenant=\"acme\",kind=\"rx\"} 6\n");
	HAS("# TYPE dpu_tenant_throttled_seconds_total counter\n"
	    "dpu_tenant_throttled_seconds_total{device=\"dpu0\",tenant=\"acme\"} 1.5\n");
	HAS("# TYPE dpu_function_attach_seconds histogram\n"
	    "dpu_function_attach_seconds_bucket{le=\"0.005\"} 0\n"
	    "dpu_function_attach_seconds_bucket{le=\"0.01\"} 0\n"
	    "dpu_function_attach_seconds_bucket{le=\"0.025\"} 1\n");
	HAS("dpu_function_attach_seconds_bucket{le=\"2.5\"} 2\n");
	HAS("dpu_function_attach_seconds_bucket{le=\"30\"} 2\n"
	    "dpu_function_attach_seconds_bucket{le=\"+Inf\"} 3\n"
	    "dpu_function_attach_seconds_sum 102.22\n"
	    "dpu_function_attach_seconds_count 3\n");
	HAS("dpud_reconciles_total 3\n");
	HAS("dpud_managed_functions 2\n");
	HAS("# TYPE dpud_node_capacity_cpu_cores gauge\n"
	    "dpud_node_capacity_cpu_cores 2\n");
	HAS("dpud_headroom_reclaimable_cpu_cores 1.25\n");
	HAS("dpud_node_capacity_memory_bytes 1073741824\n");
	assert_int_equal(out[len - 1], '\n');
	free(out);
}

static void metrics_escape(void **state)
{
	struct dpud_actual_tenant ts[] = { { .name = "a\"b\\c" } };
	struct dpud_actual a = { .tenants = ts, .ntenants = 1, .max_fns = 8 };
	struct dpud_hist h = { 0 };
	struct dpud_metrics m = { .device = "dpu0", .actual = &a,
				  .have_actual = true, .attach = &h };
	size_t len;
	char *out = dpud_metrics_render(&m, &len);

	(void)state;
	HAS("dpu_tenant_io_total{device=\"dpu0\",tenant=\"a\\\"b\\\\c\"} 0\n");
	assert_null(strstr(out, "dpud_node_capacity"));
	free(out);
}

static void metrics_agent(void **state)
{
	struct dpud_actual a = { .max_fns = 8 };
	struct dpud_hist h = { 0 };
	struct dpud_metrics m = { .device = "dpu0", .actual = &a,
				  .have_actual = true, .attach = &h };
	size_t len;
	char *out;

	(void)state;
	out = dpud_metrics_render(&m, &len);
	assert_null(strstr(out, "dpud_agent"));		/* no agent: none */
	free(out);
	m.agent = true;
	m.agent_registered = true;
	m.disposition = DPUD_DISP_JOIN;
	m.agent_calls[1][1] = 1;
	m.agent_calls[0][1] = 41;
	m.agent_calls[0][0] = 2;
	out = dpud_metrics_render(&m, &len);
	HAS("# TYPE dpud_agent_registered gauge\ndpud_agent_registered 1\n");
	HAS("dpud_agent_disposition{disposition=\"join\"} 1\n");
	HAS("dpud_agent_disposition{disposition=\"leave\"} 0\n");
	HAS("dpud_agent_disposition{disposition=\"stay_free\"} 0\n");
	HAS("# TYPE dpud_agent_calls_total counter\n");
	HAS("dpud_agent_calls_total{rpc=\"register\",result=\"ok\"} 1\n");
	HAS("dpud_agent_calls_total{rpc=\"register\",result=\"error\"} 0\n");
	HAS("dpud_agent_calls_total{rpc=\"report\",result=\"ok\"} 41\n");
	HAS("dpud_agent_calls_total{rpc=\"report\",result=\"error\"} 2\n");
	free(out);
}

/* -------------------------------------------------------------- headroom */
static void headroom_besteffort_floor(void **state)
{
	struct dpud_headroom h = { 0 };
	struct dpud_hr_sample s = {
		.cpu_capacity_milli = 2000, .mem_capacity = 1000,
		.reserve_cpu_milli = 250, .reserve_mem = 100,
		.cpu_online_milli = 300, .mem_online = 200,
		.cpu_estimate_milli = 360, .mem_estimate = 240,
	};

	(void)state;
	dpud_headroom_update(&h, &s);
	assert_true(h.valid);
	assert_int_equal(h.cpu_allocatable_milli, 1750);
	assert_int_equal(h.cpu_reclaimable_milli, 1750 - 360);
	assert_int_equal(h.mem_reclaimable, 900 - 240);
	/* the estimate is never below usage now */
	s.cpu_online_milli = 500;
	dpud_headroom_update(&h, &s);
	assert_int_equal(h.cpu_estimate_milli, 500);
	assert_int_equal(h.cpu_reclaimable_milli, 1750 - 500);
	/* a change under 10% is damped away */
	s.cpu_online_milli = 540;
	dpud_headroom_update(&h, &s);
	assert_int_equal(h.cpu_reclaimable_milli, 1750 - 500);
	/* online peak: 1750 - 1500 = 250, but best-effort pods use 900 now */
	s.cpu_online_milli = 1500;
	s.cpu_estimate_milli = 1500;
	s.cpu_besteffort_milli = 900;
	s.mem_online = 850;
	s.mem_estimate = 850;
	s.mem_besteffort = 300;
	dpud_headroom_update(&h, &s);
	assert_int_equal(h.cpu_reclaimable_milli, 900);
	assert_int_equal(h.mem_reclaimable, 300);
	assert_int_equal(h.cpu_besteffort_milli, 900);
	/* the tier shrinks: the floor follows it down to the estimate's */
	s.cpu_besteffort_milli = 100;
	s.mem_besteffort = 0;
	dpud_headroom_update(&h, &s);
	assert_int_equal(h.cpu_reclaimable_milli, 250);
	assert_int_equal(h.mem_reclaimable, 50);
}

static void dhist_quantiles(void **state)
{
	struct dpud_dhist h;
	double q;
	int i;

	(void)state;
	dpud_dhist_init(&h, 1, 1e6, 1e9);	/* no decay to speak of */
	assert_true(dpud_dhist_quantile(&h, 0.95) == 0);
	for (i = 0; i < 100; i++)
		dpud_dhist_add(&h, i < 94 ? 100 : 1000);
	/* 94% at 100, 6% at 1000: p95 is in 1000's bucket, p90 in 100's */
	q = dpud_dhist_quantile(&h, 0.95);
	assert_true(q >= 1000 && q < 1000 * 1.3);
	q = dpud_dhist_quantile(&h, 0.90);
	assert_true(q >= 100 && q < 130);

	/* decay: old peaks fade once newer samples dominate */
	dpud_dhist_init(&h, 1, 1e6, 10);
	for (i = 0; i < 50; i++)
		dpud_dhist_add(&h, 5000);
	for (i = 0; i < 100; i++)
		dpud_dhist_add(&h, 10);
	q = dpud_dhist_quantile(&h, 0.98);
	assert_true(q >= 10 && q < 13);
	/* values outside the range land in the end buckets */
	dpud_dhist_add(&h, 1e12);
	assert_true(dpud_dhist_quantile(&h, 1.0) >= 1e6 * 0.999);
}

static void damping(void **state)
{
	(void)state;
	assert_int_equal(dpud_damp(0, 77), 77);
	assert_int_equal(dpud_damp(1000, 1099), 1000);
	assert_int_equal(dpud_damp(1000, 901), 1000);
	assert_int_equal(dpud_damp(1000, 1100), 1100);
	assert_int_equal(dpud_damp(1000, 900), 900);
	assert_int_equal(dpud_damp(1000, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_ok),
		cmocka_unit_test(config_errors),
		cmocka_unit_test(config_nic_limits),
		cmocka_unit_test(config_k8s),
		cmocka_unit_test(kubeconfig),
		cmocka_unit_test(small_parsers),
		cmocka_unit_test(config_agent),
		cmocka_unit_test(agent_messages),
		cmocka_unit_test(desired_ok),
		cmocka_unit_test(desired_errors),
		cmocka_unit_test(plan_fresh),
		cmocka_unit_test(plan_steady),
		cmocka_unit_test(plan_crash_mid_attach),
		cmocka_unit_test(plan_not_ours_and_removed),
		cmocka_unit_test(plan_blocked_and_limits),
		cmocka_unit_test(plan_type_change_and_move),
		cmocka_unit_test(record_roundtrip),
		cmocka_unit_test(records_on_disk),
		cmocka_unit_test(desired_dir),
		cmocka_unit_test(metrics_format),
		cmocka_unit_test(metrics_dpu_down),
		cmocka_unit_test(config_hook_and_empty),
		cmocka_unit_test(metrics_escape),
		cmocka_unit_test(metrics_agent),
		cmocka_unit_test(headroom_besteffort_floor),
		cmocka_unit_test(dhist_quantiles),
		cmocka_unit_test(damping),
	};

	return cmocka_run_group_tests_name("dpud", tests, NULL, NULL);
}
