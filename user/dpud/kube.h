/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dpud: a client of the Kubernetes API server (kube.c): credentials from a
 * kubeconfig or the pod's service account, TLS always verified, JSON
 * bodies (json-c). Requests run on libcurl's multi interface, driven from
 * dpud's ring: never blocking the loop.
 */
#ifndef DPUD_KUBE_H
#define DPUD_KUBE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct kube_creds {
	char server[512];		/* https://host:port, no trailing / */
	char *ca_pem;			/* malloc'ed PEM, or NULL */
	char ca_file[4096];		/* or a file */
	char *cert_pem, *key_pem;	/* client certificate, or NULL */
	char cert_file[4096], key_file[4096];
	char token[4096];		/* bearer token, or "" */
	char token_file[4096];		/* re-read before each request */
};

/* Parse a kubeconfig (YAML or JSON) for its current context. 0, or
 * -EINVAL with err naming what is missing or wrong. Pure (for tests). */
int kube_config_parse(const char *path, const char *text,
		      struct kube_creds *k, char *err, size_t errlen);
/* In-cluster: KUBERNETES_SERVICE_HOST/_PORT and the service account's
 * files in dir (/var/run/secrets/kubernetes.io/serviceaccount). */
int kube_config_incluster(const char *dir, struct kube_creds *k, char *err,
			  size_t errlen);
void kube_creds_free(struct kube_creds *k);

/* The client: takes over k. 0 or -errno. */
int kube_open(struct kube_creds *k, char *err, size_t errlen);
bool kube_enabled(void);
const char *kube_server(void);
void kube_close(void);

/* status: the HTTP status, or -errno with err set (no answer); body: the
 * parsed JSON answer (NULL if none or not JSON), owned by the caller of
 * nothing: it is released after done returns. */
typedef void (*kube_done)(int status, struct json_object *body,
			  const char *err, void *arg);
/* method "GET", "POST", "PUT", "PATCH", "DELETE"; body NULL or JSON text;
 * content_type NULL = application/json. 0 or -errno. */
int kube_request(const char *method, const char *path,
		 const char *content_type, const char *body, kube_done done,
		 void *arg);
/* Requests in flight (the loop polls while there are any) */
int kube_busy(void);
/* Progress every request: from the loop, every few milliseconds while
 * kube_busy(). Calls done for the finished ones. */
void kube_poll(void);

struct kube_stats {
	uint64_t requests, failed;	/* failed: no answer or status >= 400 */
};
void kube_stats(struct kube_stats *st);

#endif /* DPUD_KUBE_H */
