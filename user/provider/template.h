/* Template v1.Node for a node group (NodeGroupTemplateNodeInfo). */
#ifndef DPUPOOL_PROVIDER_TEMPLATE_H
#define DPUPOOL_PROVIDER_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

/* Serialized k8s.io.api.core.v1.Node in *buf (malloc'ed), 0 on success. */
int tmpl_node(const struct pcfg_group *g, uint8_t **buf, size_t *len);

#endif
