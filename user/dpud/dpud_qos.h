/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dpud: following dpu.ko's co-location QoS decisions (qos.c) */
#ifndef DPUD_QOS_H
#define DPUD_QOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* join the qos group and apply what the module has (or release) */
void dpud_qos_start(void);
/* the qos socket (-1 if not following) and its messages */
int dpud_qos_fd(void);
int dpud_qos_dispatch(const void *buf, size_t len);
/* dpu.ko reloaded: join again and apply; dpu.ko gone: release BE */
void dpud_qos_follow(void);
void dpud_qos_lost(void);
/* the BE CPU budget in force, milli-CPUs; false if QoS is not active */
bool dpud_qos_budget(uint64_t *mcpu);
/* Prometheus lines */
void dpud_qos_metrics(FILE *f);
void dpud_qos_close(void);

#endif
