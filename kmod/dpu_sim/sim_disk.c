// SPDX-License-Identifier: GPL-2.0
/*
 * dpu_sim: the disk of a simulated blk function. A blk-mq disk backed by
 * memory: a page is allocated on its first write, reads of pages never
 * written return zeros, discard and write-zeroes free whole pages.
 * Requests are served synchronously in queue_rq, which must not sleep:
 * pages are allocated without waiting, and a request that cannot get one
 * goes back to blk-mq to be retried (writes are idempotent).
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "dpu.h"
#include "dpu_sim.h"

#define SIM_DISK_SECT_PER_PAGE	(PAGE_SIZE >> SECTOR_SHIFT)
#define SIM_DISK_MAX_DISCARD	(128U << 20)

/*
 * For benchmarks only: with 0, disks do not charge their I/O to the rate
 * groups (no limits, no counters), to measure what charging costs.
 */
static bool charge_io = true;
module_param(charge_io, bool, 0644);
MODULE_PARM_DESC(charge_io,
		 "charge disk I/O to the rate groups (default 1; 0 ignores limits, for benchmarks)");

struct dpu_sim_blk {
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	struct xarray pages;	/* page index -> struct page */
	u64 size;
	bool dead;		/* surprise-removed: every request fails */
	struct dpu_fn *fn;	/* limits: charged through the core */
};

/* The page backing @pgoff, allocated if @alloc; NULL if none. */
static struct page *sim_disk_page(struct dpu_sim_blk *blk, pgoff_t pgoff,
				  bool alloc)
{
	struct page *page, *old;

	page = xa_load(&blk->pages, pgoff);
	if (page || !alloc)
		return page;

	page = alloc_page(GFP_NOWAIT | __GFP_NOWARN | __GFP_ZERO);
	if (!page)
		return NULL;
	old = xa_cmpxchg(&blk->pages, pgoff, NULL, page,
			 GFP_NOWAIT | __GFP_NOWARN);
	if (old) {
		__free_page(page);
		return xa_is_err(old) ? NULL : old;
	}
	return page;
}

/* Copy @len bytes (within one page) between @buf and the disk at @pos. */
static blk_status_t sim_disk_copy(struct dpu_sim_blk *blk, void *buf,
				  loff_t pos, unsigned int len, bool write)
{
	unsigned int off = offset_in_page(pos);
	struct page *page;
	void *mem;

	page = sim_disk_page(blk, pos >> PAGE_SHIFT, write);
	if (!page) {
		if (write)
			return BLK_STS_RESOURCE;
		memset(buf, 0, len);
		return BLK_STS_OK;
	}
	mem = kmap_local_page(page);
	if (write)
		memcpy(mem + off, buf, len);
	else
		memcpy(buf, mem + off, len);
	kunmap_local(mem);
	return BLK_STS_OK;
}

static void sim_disk_page_free_rcu(struct rcu_head *head)
{
	__free_page(container_of(head, struct page, rcu_head));
}

/*
 * Free whole pages of [pos, pos + len) and zero the partial ends. A request
 * on another queue may still be copying from or to a page just erased (all
 * run under RCU, in queue_rq): pages are freed after a grace period.
 */
static void sim_disk_discard(struct dpu_sim_blk *blk, loff_t pos, u64 len)
{
	while (len) {
		unsigned int off = offset_in_page(pos);
		unsigned int n = min_t(u64, len, PAGE_SIZE - off);
		struct page *page;

		if (!off && n == PAGE_SIZE) {
			page = xa_erase(&blk->pages, pos >> PAGE_SHIFT);
			if (page)
				call_rcu(&page->rcu_head,
					 sim_disk_page_free_rcu);
		} else {
			page = sim_disk_page(blk, pos >> PAGE_SHIFT, false);
			if (page)
				memzero_page(page, off, n);
		}
		pos += n;
		len -= n;
	}
}

static blk_status_t sim_disk_rw(struct dpu_sim_blk *blk, struct request *rq)
{
	bool write = rq_data_dir(rq) == WRITE;
	loff_t pos = blk_rq_pos(rq) << SECTOR_SHIFT;
	struct req_iterator iter;
	struct bio_vec bv;
	blk_status_t st;

	rq_for_each_segment(bv, rq, iter) {
		unsigned int done = 0;

		while (done < bv.bv_len) {
			unsigned int n = min_t(unsigned int, bv.bv_len - done,
					       PAGE_SIZE - offset_in_page(pos));
			void *buf = bvec_kmap_local(&bv);

			st = sim_disk_copy(blk, buf + done, pos, n, write);
			kunmap_local(buf);
			if (st)
				return st;
			done += n;
			pos += n;
		}
	}
	return BLK_STS_OK;
}

/* The core's rate groups let held-back requests go on. */
static void sim_disk_wake(struct dpu_rate_waiter *w)
{
	struct dpu_sim_blk *blk = w->priv;

	blk_mq_start_stopped_hw_queues(blk->disk->queue, true);
}

static blk_status_t sim_disk_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	struct dpu_sim_blk *blk = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	blk_status_t st = BLK_STS_OK;
	struct dpu_rate_cost cost;

	if (READ_ONCE(charge_io) && !READ_ONCE(blk->dead) &&
	    (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE)) {
		dpu_rate_cost_blk(&cost, req_op(rq) == REQ_OP_WRITE,
				  blk_rq_bytes(rq));
		if (dpu_fn_rate_charge(blk->fn, &cost) == DPU_RATE_QUEUED) {
			/* over a limit: requeued, resumed by sim_disk_wake() */
			blk_mq_stop_hw_queue(hctx);
			/* stopped before checking: pairs with the waker's smp_mb() */
			smp_mb__after_atomic();
			if (!dpu_rate_waiter_pending(&blk->fn->rate_waiter))
				blk_mq_start_stopped_hw_queues(hctx->queue,
							       true);
			/*
			 * Not DEV_RESOURCE: the wake may run the queue before
			 * blk-mq put the request back on its dispatch list;
			 * with RESOURCE blk-mq reruns an unstopped queue
			 * itself then (SCHED_RESTART alone would wait for a
			 * completion that may never come).
			 */
			return BLK_STS_RESOURCE;
		}
	}

	blk_mq_start_request(rq);
	if (READ_ONCE(blk->dead)) {
		st = BLK_STS_IOERR;
		goto out;
	}
	switch (req_op(rq)) {
	case REQ_OP_READ:
	case REQ_OP_WRITE:
		st = sim_disk_rw(blk, rq);
		if (st == BLK_STS_RESOURCE)
			return st;	/* no memory now: blk-mq retries */
		break;
	case REQ_OP_FLUSH:
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		sim_disk_discard(blk, blk_rq_pos(rq) << SECTOR_SHIFT,
				 blk_rq_bytes(rq));
		break;
	default:
		st = BLK_STS_NOTSUPP;
		break;
	}
out:
	blk_mq_end_request(rq, st);
	return BLK_STS_OK;
}

static const struct blk_mq_ops sim_disk_mq_ops = {
	.queue_rq = sim_disk_queue_rq,
};

struct dpu_sim_blk *dpu_sim_blk_create(struct dpu_fn *fn, const char *name,
				       u64 size, int numa_node,
				       struct device *parent)
{
	struct dpu_sim_blk *blk;
	struct request_queue *q;
	struct gendisk *disk;
	int err;

	if (!size || size & (PAGE_SIZE - 1) || strlen(name) >= DISK_NAME_LEN)
		return ERR_PTR(-EINVAL);
	blk = kzalloc_node(sizeof(*blk), GFP_KERNEL, numa_node);
	if (!blk)
		return ERR_PTR(-ENOMEM);
	blk->size = size;
	blk->fn = fn;
	xa_init(&blk->pages);

	blk->tag_set.ops = &sim_disk_mq_ops;
	blk->tag_set.nr_hw_queues = num_online_cpus();
	blk->tag_set.queue_depth = 256;
	blk->tag_set.numa_node = numa_node;
	blk->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	err = blk_mq_alloc_tag_set(&blk->tag_set);
	if (err)
		goto err_free;

	disk = blk_mq_alloc_disk(&blk->tag_set, blk);
	if (IS_ERR(disk)) {
		err = PTR_ERR(disk);
		goto err_tags;
	}
	blk->disk = disk;
	q = disk->queue;
	/* major 0, minors 0: the block layer allocates an extended devt */
	disk->flags |= GENHD_FL_NO_PART;
	disk->fops = &dpu_blk_fops;	/* an open disk pins dpu.ko, not us */
	disk->private_data = blk;
	strscpy(disk->disk_name, name, DISK_NAME_LEN);
	set_capacity(disk, size >> SECTOR_SHIFT);
	blk_queue_logical_block_size(q, SECTOR_SIZE);
	blk_queue_physical_block_size(q, PAGE_SIZE);
	blk_queue_max_hw_sectors(q, 1024);
	/* bounds the pages one request walks in queue_rq */
	blk_queue_max_discard_sectors(q, SIM_DISK_MAX_DISCARD >> SECTOR_SHIFT);
	blk_queue_max_write_zeroes_sectors(q,
					   SIM_DISK_MAX_DISCARD >> SECTOR_SHIFT);
	q->limits.discard_granularity = PAGE_SIZE;
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);

	dpu_fn_rate_start(fn, sim_disk_wake, blk);
	err = device_add_disk(parent, disk, NULL);
	if (err)
		goto err_disk;
	return blk;

err_disk:
	dpu_fn_rate_stop(fn);
	put_disk(disk);
err_tags:
	blk_mq_free_tag_set(&blk->tag_set);
err_free:
	kfree(blk);
	return ERR_PTR(err);
}

const char *dpu_sim_blk_name(struct dpu_sim_blk *blk)
{
	return blk->disk->disk_name;
}

void dpu_sim_blk_kill(struct dpu_sim_blk *blk)
{
	WRITE_ONCE(blk->dead, true);
	blk_mark_disk_dead(blk->disk);
	/* held-back requests fail now instead of waiting for the timer */
	blk_mq_start_stopped_hw_queues(blk->disk->queue, true);
}

void dpu_sim_blk_destroy(struct dpu_sim_blk *blk)
{
	struct page *page;
	unsigned long i;

	if (!READ_ONCE(blk->dead))
		dpu_sim_blk_kill(blk);
	del_gendisk(blk->disk);
	/* no more requests: none waits for the rate groups, none will */
	dpu_fn_rate_stop(blk->fn);
	put_disk(blk->disk);
	blk_mq_free_tag_set(&blk->tag_set);
	xa_for_each(&blk->pages, i, page)
		__free_page(page);
	xa_destroy(&blk->pages);
	kfree(blk);
}
