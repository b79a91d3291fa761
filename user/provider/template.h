/* Template v1.Node for a node group (NodeGroupTemplateNodeInfo). */
#ifndef DPUPOOL_PROVIDER_TEMPLATE_H
#define DPUPOOL_PROVIDER_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "inventory.h"

/* Extended resources published from the hosts' reports. */
#define TMPL_DPU_PREFIX "dpupool.io/dpu-"	/* + function type */
#define TMPL_BATCH_CPU "dpupool.io/batch-cpu"	/* millicores */
#define TMPL_BATCH_MEMORY "dpupool.io/batch-memory"	/* bytes */

/* Serialized k8s.io.api.core.v1.Node in *buf (malloc'ed), 0 on success.
 * rep (may be NULL) is what the group's hosts report: with rep->hosts > 0
 * its smallest capacity replaces the configured cpu/memory/pods, and
 *   dpupool.io/dpu-<type>    capacity = smallest total, allocatable =
 *                            largest free (at most capacity)
 *   dpupool.io/batch-cpu     largest headroom, at most allocatable cpu
 *   dpupool.io/batch-memory  largest headroom, at most allocatable memory
 * are added unless the group configures a resource of the same name. */
int tmpl_node(const struct pcfg_group *g, const struct inv_reported *rep,
	      uint8_t **buf, size_t *len);

#endif
