// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dpud: client of the Kubernetes API server.
 *
 * Credentials come from a kubeconfig (its current context: server,
 * certificate-authority[-data], token[File] or client-certificate/key
 * [-data]) or from the pod's service account. The server's certificate is
 * always verified: a kubeconfig asking for insecure-skip-tls-verify is
 * refused.
 *
 * Requests use libcurl's multi interface. The loop calls kube_poll() on a
 * short ring timeout while requests are in flight (and never otherwise):
 * each call is a non-blocking curl_multi_perform(), so the loop never waits
 * on the API server. The few requests dpud makes (a claim read per
 * prepare, a slice write when slots change, a Node status patch at most
 * every node_status_interval) make the polling's cost negligible.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "kube.h"

#define MAX_BODY	(8u << 20)

struct kreq {
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;			/* sent */
	char *resp;			/* received */
	size_t resplen;
	char errbuf[CURL_ERROR_SIZE];
	kube_done done;
	void *arg;
	char what[160];
	struct kreq *next;
};

static struct {
	bool open;
	struct kube_creds k;
	CURLM *multi;
	struct kreq *reqs;
	int busy;
	struct kube_stats st;
} K;

/* ------------------------------------------------------------ kubeconfig */
static yaml_node_t *ymap(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *p;

	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

static const char *ystr(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
	       (const char *)n->data.scalar.value : NULL;
}

/* the entry of list `list` named name, its `field` mapping */
static yaml_node_t *ynamed(yaml_document_t *d, yaml_node_t *root,
			   const char *list, const char *name,
			   const char *field)
{
	yaml_node_t *l = ymap(d, root, list);
	yaml_node_item_t *i;

	if (!l || l->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (i = l->data.sequence.items.start; i < l->data.sequence.items.top;
	     i++) {
		yaml_node_t *e = yaml_document_get_node(d, *i);
		const char *n = ystr(ymap(d, e, "name"));

		if (n && !strcmp(n, name))
			return ymap(d, e, field);
	}
	return NULL;
}

static char *b64_pem(const char *s)
{
	size_t n = strlen(s);
	unsigned char *out = malloc(n + 1);
	int len;

	if (!out)
		return NULL;
	len = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (len < 0) {
		free(out);
		return NULL;
	}
	out[len] = '\0';	/* padding leaves NULs: PEM is text anyway */
	return (char *)out;
}

/* relative file names in a kubeconfig are relative to its directory */
static void resolve(char *dst, size_t len, const char *cfgpath,
		    const char *file)
{
	const char *slash = strrchr(cfgpath, '/');

	if (file[0] == '/' || !slash)
		snprintf(dst, len, "%s", file);
	else
		snprintf(dst, len, "%.*s/%s", (int)(slash - cfgpath), cfgpath,
			 file);
}

int kube_config_parse(const char *path, const char *text,
		      struct kube_creds *k, char *err, size_t errlen)
{
	yaml_parser_t p;
	yaml_document_t d;
	yaml_node_t *root, *ctx, *cl, *us;
	const char *cur, *cluster, *user, *s;
	int ret = -EINVAL;

	memset(k, 0, sizeof(*k));
	if (!yaml_parser_initialize(&p)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text,
				     strlen(text));
	if (!yaml_parser_load(&p, &d)) {
		snprintf(err, errlen, "%s:%zu: %s", path,
			 p.problem_mark.line + 1,
			 p.problem ? p.problem : "not YAML");
		yaml_parser_delete(&p);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&d);
	cur = ystr(ymap(&d, root, "current-context"));
	if (!cur || !*cur) {
		snprintf(err, errlen, "%s: no current-context", path);
		goto out;
	}
	ctx = ynamed(&d, root, "contexts", cur, "context");
	cluster = ystr(ymap(&d, ctx, "cluster"));
	user = ystr(ymap(&d, ctx, "user"));
	if (!ctx || !cluster) {
		snprintf(err, errlen, "%s: context '%s' not found or has no cluster",
			 path, cur);
		goto out;
	}
	cl = ynamed(&d, root, "clusters", cluster, "cluster");
	s = ystr(ymap(&d, cl, "server"));
	if (!cl || !s) {
		snprintf(err, errlen, "%s: cluster '%s' not found or has no server",
			 path, cluster);
		goto out;
	}
	if (strncmp(s, "https://", 8)) {
		snprintf(err, errlen, "%s: server '%s' is not https:// (TLS is required)",
			 path, s);
		goto out;
	}
	snprintf(k->server, sizeof(k->server), "%s", s);
	k->server[strcspn(k->server, "\n")] = '\0';
	while (k->server[0] && k->server[strlen(k->server) - 1] == '/')
		k->server[strlen(k->server) - 1] = '\0';
	s = ystr(ymap(&d, cl, "insecure-skip-tls-verify"));
	if (s && !strcmp(s, "true")) {
		snprintf(err, errlen, "%s: cluster '%s' sets insecure-skip-tls-verify: dpud always verifies the API server",
			 path, cluster);
		goto out;
	}
	if ((s = ystr(ymap(&d, cl, "certificate-authority-data")))) {
		k->ca_pem = b64_pem(s);
		if (!k->ca_pem) {
			snprintf(err, errlen, "%s: certificate-authority-data is not base64",
				 path);
			goto out;
		}
	} else if ((s = ystr(ymap(&d, cl, "certificate-authority")))) {
		resolve(k->ca_file, sizeof(k->ca_file), path, s);
	}
	us = user ? ynamed(&d, root, "users", user, "user") : NULL;
	if (user && !us) {
		snprintf(err, errlen, "%s: user '%s' not found", path, user);
		goto out;
	}
	if ((s = ystr(ymap(&d, us, "token"))))
		snprintf(k->token, sizeof(k->token), "%s", s);
	else if ((s = ystr(ymap(&d, us, "tokenFile"))))
		resolve(k->token_file, sizeof(k->token_file), path, s);
	if ((s = ystr(ymap(&d, us, "client-certificate-data"))))
		k->cert_pem = b64_pem(s);
	else if ((s = ystr(ymap(&d, us, "client-certificate"))))
		resolve(k->cert_file, sizeof(k->cert_file), path, s);
	if ((s = ystr(ymap(&d, us, "client-key-data"))))
		k->key_pem = b64_pem(s);
	else if ((s = ystr(ymap(&d, us, "client-key"))))
		resolve(k->key_file, sizeof(k->key_file), path, s);
	if ((k->cert_pem || k->cert_file[0]) != (k->key_pem || k->key_file[0])) {
		snprintf(err, errlen, "%s: user '%s' has a client certificate without its key (or the reverse)",
			 path, user);
		goto out;
	}
	if (ymap(&d, us, "exec") || ymap(&d, us, "auth-provider")) {
		snprintf(err, errlen, "%s: user '%s' uses an exec or auth-provider plugin: give dpud a token or a client certificate",
			 path, user);
		goto out;
	}
	ret = 0;
out:
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	if (ret)
		kube_creds_free(k);
	return ret;
}

int kube_config_incluster(const char *dir, struct kube_creds *k, char *err,
			  size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");

	memset(k, 0, sizeof(*k));
	if (!host || !*host) {
		snprintf(err, errlen, "not in a cluster: KUBERNETES_SERVICE_HOST is not set (set kubeconfig)");
		return -ENOENT;
	}
	snprintf(k->server, sizeof(k->server), strchr(host, ':') ?
		 "https://[%s]:%s" : "https://%s:%s", host,
		 port && *port ? port : "443");
	snprintf(k->ca_file, sizeof(k->ca_file), "%s/ca.crt", dir);
	snprintf(k->token_file, sizeof(k->token_file), "%s/token", dir);
	if (access(k->ca_file, R_OK) || access(k->token_file, R_OK)) {
		snprintf(err, errlen, "service account files missing in %s", dir);
		return -ENOENT;
	}
	return 0;
}

void kube_creds_free(struct kube_creds *k)
{
	free(k->ca_pem);
	free(k->cert_pem);
	free(k->key_pem);
	k->ca_pem = k->cert_pem = k->key_pem = NULL;
}

/* ---------------------------------------------------------------- client */
int kube_open(struct kube_creds *k, char *err, size_t errlen)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -EIO;
	}
	K.multi = curl_multi_init();
	if (!K.multi) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -ENOMEM;
	}
	K.k = *k;
	memset(k, 0, sizeof(*k));
	K.open = true;
	return 0;
}

bool kube_enabled(void)
{
	return K.open;
}

const char *kube_server(void)
{
	return K.k.server;
}

static void req_free(struct kreq *r)
{
	curl_slist_free_all(r->hdrs);
	if (r->easy)
		curl_easy_cleanup(r->easy);
	free(r->body);
	free(r->resp);
	free(r);
}

void kube_close(void)
{
	while (K.reqs) {
		struct kreq *r = K.reqs;

		K.reqs = r->next;
		curl_multi_remove_handle(K.multi, r->easy);
		req_free(r);
	}
	if (K.multi)
		curl_multi_cleanup(K.multi);
	K.multi = NULL;
	kube_creds_free(&K.k);
	if (K.open)
		curl_global_cleanup();
	K.open = false;
	K.busy = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct kreq *r = arg;
	size_t len = size * n;
	char *b;

	if (r->resplen + len > MAX_BODY)
		return 0;	/* curl fails the transfer */
	b = realloc(r->resp, r->resplen + len + 1);
	if (!b)
		return 0;
	r->resp = b;
	memcpy(b + r->resplen, p, len);
	r->resplen += len;
	b[r->resplen] = '\0';
	return len;
}

static int read_token(char *buf, size_t len)
{
	FILE *f = fopen(K.k.token_file, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static void set_blob(CURL *e, CURLoption o, const char *pem)
{
	struct curl_blob b = {
		.data = (void *)pem, .len = strlen(pem),
		.flags = CURL_BLOB_COPY,
	};

	curl_easy_setopt(e, o, &b);
}

int kube_request(const char *method, const char *path,
		 const char *content_type, const char *body, kube_done done,
		 void *arg)
{
	char url[1024], h[4200], tok[4096];
	struct kreq *r;
	CURL *e;

	if (!K.open)
		return -ENOTCONN;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	e = r->easy = curl_easy_init();
	if (!e || (body && !(r->body = strdup(body)))) {
		req_free(r);
		return -ENOMEM;
	}
	r->done = done;
	r->arg = arg;
	snprintf(r->what, sizeof(r->what), "%s %s", method, path);
	snprintf(url, sizeof(url), "%s%s", K.k.server, path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "dpud/" DPUPOOL_VERSION);
	if (K.k.ca_pem)
		set_blob(e, CURLOPT_CAINFO_BLOB, K.k.ca_pem);
	else if (K.k.ca_file[0])
		curl_easy_setopt(e, CURLOPT_CAINFO, K.k.ca_file);
	/* certificate and key each as data or as a file, independently */
	if (K.k.cert_pem)
		set_blob(e, CURLOPT_SSLCERT_BLOB, K.k.cert_pem);
	else if (K.k.cert_file[0])
		curl_easy_setopt(e, CURLOPT_SSLCERT, K.k.cert_file);
	if (K.k.key_pem)
		set_blob(e, CURLOPT_SSLKEY_BLOB, K.k.key_pem);
	else if (K.k.key_file[0])
		curl_easy_setopt(e, CURLOPT_SSLKEY, K.k.key_file);
	r->hdrs = curl_slist_append(NULL, "Accept: application/json");
	if (K.k.token[0] || K.k.token_file[0]) {
		if (K.k.token[0])
			snprintf(tok, sizeof(tok), "%s", K.k.token);
		else if (read_token(tok, sizeof(tok)))
			tok[0] = '\0';
		if (tok[0]) {
			snprintf(h, sizeof(h), "Authorization: Bearer %s", tok);
			r->hdrs = curl_slist_append(r->hdrs, h);
		}
	}
	if (body) {
		snprintf(h, sizeof(h), "Content-Type: %s",
			 content_type ? content_type : "application/json");
		r->hdrs = curl_slist_append(r->hdrs, h);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	if (curl_multi_add_handle(K.multi, e)) {
		req_free(r);
		return -EIO;
	}
	r->next = K.reqs;
	K.reqs = r;
	K.busy++;
	K.st.requests++;
	return 0;
}

int kube_busy(void)
{
	return K.busy;
}

static void req_unlink(struct kreq *r)
{
	struct kreq **pp;

	for (pp = &K.reqs; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

void kube_poll(void)
{
	CURLMsg *m;
	int running, left;

	if (!K.open || !K.busy)
		return;
	curl_multi_perform(K.multi, &running);
	while ((m = curl_multi_info_read(K.multi, &left))) {
		struct json_object *j = NULL;
		struct kreq *r = NULL;
		char err[CURL_ERROR_SIZE + 200];
		long code = 0;

		CURL *e;
		CURLcode result;

		if (m->msg != CURLMSG_DONE)
			continue;
		/* the message does not outlive the handle's removal */
		e = m->easy_handle;
		result = m->data.result;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
		curl_multi_remove_handle(K.multi, e);
		req_unlink(r);
		K.busy--;
		if (result != CURLE_OK) {
			snprintf(err, sizeof(err), "%s: %s", r->what,
				 r->errbuf[0] ? r->errbuf :
				 curl_easy_strerror(result));
			K.st.failed++;
			r->done(-EIO, NULL, err, r->arg);
			req_free(r);
			continue;
		}
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (r->resp)
			j = json_tokener_parse(r->resp);
		err[0] = '\0';
		if (code >= 400) {
			struct json_object *msg;

			K.st.failed++;
			snprintf(err, sizeof(err), "%s: HTTP %ld: %s", r->what,
				 code, j && json_object_object_get_ex(j, "message", &msg) ?
				 json_object_get_string(msg) : "(no message)");
		}
		r->done((int)code, j, err, r->arg);
		json_object_put(j);
		req_free(r);
	}
}

void kube_stats(struct kube_stats *st)
{
	*st = K.st;
}
