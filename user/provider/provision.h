/* Background provisioning: runs the provision/deprovision hooks for
 * instances the inventory says are waiting, on its own thread and its own
 * SQLite connection, and records each outcome. */
#ifndef DPUPOOL_PROVIDER_PROVISION_H
#define DPUPOOL_PROVIDER_PROVISION_H

#include "config.h"

struct prov;

/* Hook exit status meaning "no capacity" (OutOfResourcesErrorClass). */
#define PROV_EXIT_OUT_OF_RESOURCES 3

int prov_start(struct prov **out, const struct pcfg *cfg, const char *db_path);
void prov_kick(struct prov *p);		/* new work was committed */
void prov_stop(struct prov *p);		/* kills running hooks, joins */

/* "dpu-provider: MESSAGE\n" on stderr (shared by the server and the worker) */
void prov_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
