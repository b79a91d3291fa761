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
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "dpu.h"
#include "dpu_sim.h"
#include "dpu_tb.h"

#define SIM_DISK_SECT_PER_PAGE	(PAGE_SIZE >> SECTOR_SHIFT)

struct dpu_sim_blk {
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
	struct xarray pages;	/* page index -> struct page */
	u64 size;
	bool dead;		/* surprise-removed: every request fails */
	/* limits: DPU_LIM_BLK_*; a held-back queue is stopped until @timer */
	bool limited;
	struct dpu_tb tb[DPU_LIM_BLK_WRITE_BPS + 1];
	struct hrtimer timer;
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

/* Free whole pages of [pos, pos + len) and zero the partial ends. */
static void sim_disk_discard(struct dpu_sim_blk *blk, loff_t pos, u64 len)
{
	while (len) {
		unsigned int off = offset_in_page(pos);
		unsigned int n = min_t(u64, len, PAGE_SIZE - off);
		struct page *page;

		if (!off && n == PAGE_SIZE) {
			page = xa_erase(&blk->pages, pos >> PAGE_SHIFT);
			if (page)
				__free_page(page);
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

/*
 * Take what @rq costs from every bucket that applies to it; if one is short,
 * give back what was taken and return the ns to wait.
 */
static u64 sim_disk_throttle(struct dpu_sim_blk *blk, struct request *rq)
{
	bool write = req_op(rq) == REQ_OP_WRITE;
	u64 bytes = blk_rq_bytes(rq), now = ktime_get_ns(), wait = 0;
	const struct { unsigned int kind; u64 n; } cost[] = {
		{ DPU_LIM_BLK_IOPS, 1 },
		{ write ? DPU_LIM_BLK_WRITE_IOPS : DPU_LIM_BLK_READ_IOPS, 1 },
		{ DPU_LIM_BLK_BPS, bytes },
		{ write ? DPU_LIM_BLK_WRITE_BPS : DPU_LIM_BLK_READ_BPS, bytes },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(cost); i++) {
		wait = dpu_tb_take(&blk->tb[cost[i].kind], cost[i].n, now);
		if (wait)
			break;
	}
	if (wait)
		while (i--)
			dpu_tb_refund(&blk->tb[cost[i].kind], cost[i].n);
	return wait;
}

static enum hrtimer_restart sim_disk_timer(struct hrtimer *timer)
{
	struct dpu_sim_blk *blk = container_of(timer, struct dpu_sim_blk, timer);

	blk_mq_start_stopped_hw_queues(blk->disk->queue, true);
	return HRTIMER_NORESTART;
}

static blk_status_t sim_disk_queue_rq(struct blk_mq_hw_ctx *hctx,
				      const struct blk_mq_queue_data *bd)
{
	struct dpu_sim_blk *blk = hctx->queue->queuedata;
	struct request *rq = bd->rq;
	blk_status_t st = BLK_STS_OK;
	u64 wait;

	if (READ_ONCE(blk->limited) && !READ_ONCE(blk->dead) &&
	    (req_op(rq) == REQ_OP_READ || req_op(rq) == REQ_OP_WRITE)) {
		wait = sim_disk_throttle(blk, rq);
		if (wait) {
			/* over the limit: requeued, resumed by the timer */
			blk_mq_stop_hw_queue(hctx);
			hrtimer_start(&blk->timer, ns_to_ktime(wait),
				      HRTIMER_MODE_REL);
			return BLK_STS_DEV_RESOURCE;
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

struct dpu_sim_blk *dpu_sim_blk_create(const char *name, u64 size,
				       int numa_node, struct device *parent)
{
	struct dpu_sim_blk *blk;
	struct request_queue *q;
	struct gendisk *disk;
	int err, i;

	if (!size || size & (PAGE_SIZE - 1) || strlen(name) >= DISK_NAME_LEN)
		return ERR_PTR(-EINVAL);
	blk = kzalloc_node(sizeof(*blk), GFP_KERNEL, numa_node);
	if (!blk)
		return ERR_PTR(-ENOMEM);
	blk->size = size;
	xa_init(&blk->pages);
	hrtimer_init(&blk->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	blk->timer.function = sim_disk_timer;

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
	blk_queue_max_discard_sectors(q, UINT_MAX >> SECTOR_SHIFT);
	blk_queue_max_write_zeroes_sectors(q, UINT_MAX >> SECTOR_SHIFT);
	q->limits.discard_granularity = PAGE_SIZE;
	blk_queue_flag_set(QUEUE_FLAG_NONROT, q);
	blk_queue_flag_clear(QUEUE_FLAG_ADD_RANDOM, q);

	for (i = 0; i < ARRAY_SIZE(blk->tb); i++)
		dpu_tb_init(&blk->tb[i]);
	err = device_add_disk(parent, disk, NULL);
	if (err)
		goto err_disk;
	return blk;

err_disk:
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

void dpu_sim_blk_set_limits(struct dpu_sim_blk *blk,
			    const struct dpu_limits *lim)
{
	u64 now = ktime_get_ns();
	unsigned int k;

	for (k = 0; k < ARRAY_SIZE(blk->tb); k++)
		dpu_tb_set(&blk->tb[k], lim->l[k].rate,
			   dpu_limit_burst(k, &lim->l[k]), now);
	WRITE_ONCE(blk->limited, dpu_limits_any(lim, true));
	/* queues held back under the old limits go on under the new ones */
	blk_mq_start_stopped_hw_queues(blk->disk->queue, true);
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
	hrtimer_cancel(&blk->timer);
	del_gendisk(blk->disk);
	put_disk(blk->disk);
	blk_mq_free_tag_set(&blk->tag_set);
	xa_for_each(&blk->pages, i, page)
		__free_page(page);
	xa_destroy(&blk->pages);
	kfree(blk);
}
