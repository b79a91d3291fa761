/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dpu-emu: an emulated DPU for tests. The "hardware" process serves the
 * ivshmem-doorbell PF to QEMU (shared memory, doorbells) and the test
 * control channel; the "firmware" process, its child, executes the
 * mailbox commands by driving QEMU over QMP. The firmware can be killed
 * and restarted without the guest losing the PF, as a DPU's firmware can.
 */
#ifndef DPU_EMU_H
#define DPU_EMU_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>
#include <linux/dpu_pci.h>

#define EMU_MAX_SLOTS	64
#define EMU_MAX_FNS	256
#define EMU_MAX_TENANTS	256
#define EMU_RING	64
#define EMU_DEPTH	4	/* tenant levels chained above a function */

/* fault injection and requests, shared by hw and fw (MAP_SHARED) */
struct emu_ctl {
	int fail_attach;	/* next N ATTACH fail with -EIO */
	int hang_attach;	/* next N ATTACH are never completed */
	int bad_slot;		/* next N ATTACH report a slot out of range */
	int garbage;		/* next N completions carry a wrong tag */
	int attach_delay_ms;	/* before each ATTACH is executed */
	int surprise[EMU_MAX_FNS];	/* 1: unplug without being asked */
	int nsurprise;
	int raw_add;		/* slot + 1: plain hot-plug for benchmarks */
	int raw_del;		/* slot + 1: plain device_del */
	unsigned long attaches, detaches, completions;
};

struct emu_cfg {
	const char *ivshmem_path;
	const char *qmp_path;
	const char *ctl_path;
	const char *data_dir;
	const char *log_path;
	const char *port_prefix;
	const char *hub;
	unsigned int id;
	unsigned int slots;
	unsigned int slot_base;
	unsigned int max_fns;
	unsigned int restart_ms;
	size_t shm_size;
	unsigned long long io_iops;	/* the rated capacity it reports */
	unsigned long long io_bps;
};

struct emu {
	struct emu_cfg cfg;
	void *shm;
	struct dpu_pci_header *hdr;
	struct dpu_pci_cmd *ring;
	struct dpu_pci_fn *fns;
	struct dpu_pci_tenant *tenants;
	struct emu_ctl *ctl;
	int shm_fd;
	int to_fw[DPU_PCI_NR_VECS];	/* guest -> firmware doorbells */
	int to_guest[DPU_PCI_NR_VECS];	/* firmware -> guest interrupts */
	int ctl_efd;			/* hw -> fw: look at ctl */
};

/* log.c-ish helpers in main.c */
void emu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void emu_interrupt(struct emu *e, unsigned int vec);

/* fw.c */
int fw_main(struct emu *e);

/* qmp.c */
struct qmp;
struct qmp *qmp_connect(const char *path, int timeout_ms);
void qmp_close(struct qmp *q);
int qmp_fd(struct qmp *q);
/* Run a command; on error returns -1 with the QMP error text in err. */
int qmp_call(struct qmp *q, const char *cmd, json_object *args,
	     json_object **ret, char *err, size_t errlen);
/* Read pending events (non-blocking); returns how many were handled. */
int qmp_poll_events(struct qmp *q);
/* Was DEVICE_DELETED seen for @id since the last qmp_forget()? */
bool qmp_deleted(struct qmp *q, const char *id);
void qmp_forget(struct qmp *q, const char *id);
/* Wait up to @ms for DEVICE_DELETED of @id. */
bool qmp_wait_deleted(struct qmp *q, const char *id, int ms);

#endif
