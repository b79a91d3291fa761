// SPDX-License-Identifier: GPL-2.0-or-later
/* dpud: the agent service's messages (user/provider/proto/agent_messages
 * .proto) to and from bytes, with protobuf-c.  No I/O: unit-tested. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_messages.pb-c.h"
#include "dpud.h"

#define AG(x) Dpupool__Agent__V1__##x

int dpud_report_pack(const struct dpud_host_report *r, bool reg,
		     uint8_t **buf, size_t *len)
{
	AG(HostReport__LabelsEntry) le[DPUD_MAX_LABELS], *lep[DPUD_MAX_LABELS];
	AG(FunctionSlots) fs[4], *fsp[4];
	AG(Function) *fn = NULL, **fnp = NULL;
	char (*mac)[18] = NULL;
	AG(HostReport) h = DPUPOOL__AGENT__V1__HOST_REPORT__INIT;
	AG(Resources) cap = DPUPOOL__AGENT__V1__RESOURCES__INIT;
	AG(Resources) hr = DPUPOOL__AGENT__V1__RESOURCES__INIT;
	AG(RegisterRequest) rq = DPUPOOL__AGENT__V1__REGISTER_REQUEST__INIT;
	AG(ReportRequest) pq = DPUPOOL__AGENT__V1__REPORT_REQUEST__INIT;
	size_t i, n;

	h.serial = (char *)r->serial;
	h.group = (char *)r->group;
	n = r->nlabels < DPUD_MAX_LABELS ? r->nlabels : DPUD_MAX_LABELS;
	for (i = 0; i < n; i++) {
		dpupool__agent__v1__host_report__labels_entry__init(&le[i]);
		le[i].key = (char *)r->lkeys[i];
		le[i].value = (char *)r->lvals[i];
		lep[i] = &le[i];
	}
	h.n_labels = n;
	h.labels = lep;
	cap.cpu_milli = r->cpu_milli;
	cap.memory_bytes = r->mem_bytes;
	cap.pods = r->pods;
	hr.cpu_milli = r->hr_cpu_milli;
	hr.memory_bytes = r->hr_mem_bytes;
	hr.pods = r->hr_pods;
	h.capacity = &cap;
	h.headroom = &hr;
	n = r->nslots < 4 ? r->nslots : 4;
	for (i = 0; i < n; i++) {
		dpupool__agent__v1__function_slots__init(&fs[i]);
		fs[i].type = (char *)r->slots[i].type;
		fs[i].free = r->slots[i].free;
		fs[i].total = r->slots[i].total;
		fsp[i] = &fs[i];
	}
	h.n_free_slots = n;
	h.free_slots = fsp;
	if (r->nfns) {
		fn = calloc(r->nfns, sizeof(*fn));
		fnp = calloc(r->nfns, sizeof(*fnp));
		mac = calloc(r->nfns, sizeof(*mac));
		if (!fn || !fnp || !mac) {
			free(fn);
			free(fnp);
			free(mac);
			return -ENOMEM;
		}
	}
	for (i = 0; i < r->nfns; i++) {
		const struct dpud_actual_fn *f = &r->fns[i];

		dpupool__agent__v1__function__init(&fn[i]);
		fn[i].index = f->index;
		fn[i].type = (char *)dpu_fn_type_str(f->type);
		fn[i].state = (char *)dpu_fn_state_str(f->state);
		fn[i].tenant = (char *)f->tenant;
		if (f->type == DPU_FN_TYPE_BLK)
			fn[i].size_bytes = f->size;
		if (f->has_mac)
			dpu_format_mac(f->mac, mac[i], sizeof(mac[i]));
		fn[i].mac = mac[i];
		fnp[i] = &fn[i];
	}
	h.n_functions = r->nfns;
	h.functions = fnp;

	if (reg) {
		rq.host = &h;
		*len = dpupool__agent__v1__register_request__get_packed_size(&rq);
	} else {
		pq.host = &h;
		*len = dpupool__agent__v1__report_request__get_packed_size(&pq);
	}
	*buf = malloc(*len ? *len : 1);
	if (*buf && reg)
		dpupool__agent__v1__register_request__pack(&rq, *buf);
	else if (*buf)
		dpupool__agent__v1__report_request__pack(&pq, *buf);
	free(fn);
	free(fnp);
	free(mac);
	return *buf ? 0 : -ENOMEM;
}

/*
 * Strings of a Directive go into the directive file (key = value lines),
 * the hook's environment and the logs: a group is a Kubernetes name, a
 * provider id printable ASCII without spaces, a message printable. Too
 * long or anything else: the Directive is refused, not cut or escaped.
 */
static bool directive_str(char *dst, size_t len, const char *src, int kind)
{
	size_t i, n = src ? strlen(src) : 0;

	if (n >= len)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (kind == 0 && !isalnum(c) && c != '-' && c != '_' && c != '.')
			return false;
		if (kind == 1 && (c <= ' ' || c >= 0x7f))
			return false;
		if (kind == 2 && (c < ' ' || c >= 0x7f))
			return false;
	}
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

int dpud_directive_unpack(const uint8_t *buf, size_t len,
			  struct dpud_directive *d)
{
	AG(Directive) *m = dpupool__agent__v1__directive__unpack(NULL, len,
								 buf);
	bool ok;

	memset(d, 0, sizeof(*d));
	if (!m)
		return -EBADMSG;
	switch (m->disposition) {
	case DPUPOOL__AGENT__V1__DISPOSITION__JOIN:
		d->disposition = DPUD_DISP_JOIN;
		break;
	case DPUPOOL__AGENT__V1__DISPOSITION__LEAVE:
		d->disposition = DPUD_DISP_LEAVE;
		break;
	case DPUPOOL__AGENT__V1__DISPOSITION__STAY_FREE:
		d->disposition = DPUD_DISP_STAY_FREE;
		break;
	default:
		d->disposition = DPUD_DISP_UNKNOWN;
		break;
	}
	ok = directive_str(d->group, sizeof(d->group), m->group, 0) &&
	     directive_str(d->provider_id, sizeof(d->provider_id),
			   m->provider_id, 1) &&
	     directive_str(d->message, sizeof(d->message), m->message, 2);
	d->interval_s = m->report_interval_seconds;
	dpupool__agent__v1__directive__free_unpacked(m, NULL);
	return ok ? 0 : -EINVAL;
}

const char *dpud_disposition_str(enum dpud_disposition d)
{
	switch (d) {
	case DPUD_DISP_JOIN:
		return "join";
	case DPUD_DISP_LEAVE:
		return "leave";
	case DPUD_DISP_STAY_FREE:
		return "stay_free";
	default:
		return "unknown";
	}
}

int dpud_directive_format(const struct dpud_directive *d, char *buf,
			  size_t len)
{
	int n = snprintf(buf, len,
			 "# what dpu-provider last said this host should be\n"
			 "disposition = %s\ngroup = %s\nprovider_id = %s\n",
			 dpud_disposition_str(d->disposition), d->group,
			 d->provider_id);

	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
