/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dpuctl: what the command files share (dpuctl.c owns it). */
#ifndef DPUCTL_H
#define DPUCTL_H

#include <signal.h>

#include "libdpu.h"
#include "out.h"

extern struct out out;
extern struct dpu_nl *nl;

/* "dpuctl: WHAT: extack (ENAME)" on stderr; returns 1 */
int fail(const char *what, int err);
/* open the netlink socket once; 0 or 1 (message printed) */
int nl_connect(void);
/* each object keyword takes a value: 0, or 2 with a message */
int need_arg(int argc, char **argv);
/* monitor lines: "[TIME] EVENT OBJECT ..." and its end */
void monitor_head(uint8_t cmd, const char *object);
void monitor_tail(void);
extern volatile sig_atomic_t stop;
void on_signal(int sig);

int cmd_qos(int argc, char **argv);
int cmd_nic(int argc, char **argv);

#endif
