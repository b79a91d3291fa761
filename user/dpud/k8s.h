/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dpud's Kubernetes side, as the rest of dpud calls it (k8s.c). */
#ifndef DPUD_K8S_H
#define DPUD_K8S_H

#include <stdbool.h>
#include <stdio.h>

#include "dpud.h"

/* After the first dump: the kubelet plugin and the API client the config
 * asks for. Errors are logged; 0 or -errno (dpud exits then). */
int k8s_open(char *err, size_t errlen);
void k8s_close(void);
/* a kubelet plugin is served or the API server is used */
bool k8s_active(void);
/* Every second (the k8s timer) */
void k8s_tick(void);
/* After every dump of the DPU (reconcile.c): readiness, slots, health */
void k8s_after_dump(void);
/* The desired state plus the claims' functions (and their tenants, if the
 * desired state does not have them). out's arrays are malloc'ed. */
int k8s_desired(const struct dpud_desired *base, struct dpud_desired *out);
void k8s_desired_release(struct dpud_desired *d);
/* /metrics */
void k8s_metrics(FILE *f);
/* the loop's poll of the API client's requests */
void k8s_kube_poll(void);

#endif /* DPUD_K8S_H */
