/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The shim's files under /proc/NAME (kernel only; formats in abi.h): the two
 * binary table images and the status text, readable by root alone (0400),
 * the control file, writable by root alone (0200), and the sample ring,
 * which root alone opens (0600) and maps shared to drain it (its consumer
 * index lives in the image).  A reader gets the
 * live image as it is when it reads: keys are whole (a slot's meta word
 * precedes its key and is published after it), counters may move while it
 * reads; pause counting (control: disable) for a still copy.
 */
#ifndef PKTPATH_KERNEL_PROCFS_H
#define PKTPATH_KERNEL_PROCFS_H

#ifdef __KERNEL__

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>

#include "shim.h"

#define PKTPATH_KPROC_CMD_LEN 192

static inline ssize_t pktpath_kproc_image_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	struct pktpath_kshim *s = pde_data(file_inode(f));

	return simple_read_from_buffer(buf, n, pos, s->image, s->image_size);
}

static inline ssize_t pktpath_kproc_drops_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	struct pktpath_kshim *s = pde_data(file_inode(f));

	return simple_read_from_buffer(buf, n, pos, s->drops, s->drops_size);
}

/* A read gives a copy of the ring as it is (the reader's side is not moved); draining takes a mapping. */
static inline ssize_t pktpath_kproc_samples_read(struct file *f, char __user *buf, size_t n, loff_t *pos)
{
	struct pktpath_kshim *s = pde_data(file_inode(f));

	return simple_read_from_buffer(buf, n, pos, s->samples, s->samples_size);
}

/* The pages stay the mapping's until it goes, also after the module has freed the ring (they are counted). */
static inline int pktpath_kproc_samples_mmap(struct file *f, struct vm_area_struct *vma)
{
	struct pktpath_kshim *s = pde_data(file_inode(f));

	return remap_vmalloc_range(vma, s->samples, vma->vm_pgoff);
}

static inline void pktpath_kproc_stats(struct seq_file *m, const struct pktpath_kstats *st)
{
	seq_printf(
		m,
		" hits=%lld counted=%lld overflow=%lld copy_failed=%lld disabled=%lld filtered=%lld other_dev=%lld ns=%lld\n",
		atomic64_read(&st->hits), atomic64_read(&st->counted), atomic64_read(&st->overflow),
		atomic64_read(&st->copy_failed), atomic64_read(&st->disabled), atomic64_read(&st->filtered),
		atomic64_read(&st->other_dev), atomic64_read(&st->ns));
}

static inline void pktpath_kproc_point(struct seq_file *m, unsigned int i, const char *stage,
				       const struct pktpath_kpoint *pt)
{
	static const char *const states[] = {"off", "attached", "failed"};
	const char *kind = pt->state != PKTPATH_KPOINT_ATTACHED ? "-" : pt->tp ? "tracepoint" : "kprobe";

	seq_printf(m, "probe %u %s %s %s %s %s %d nmissed=%lu hits=%lld why=%s\n", i, stage, pt->spec, kind,
		   pt->symbol[0] ? pt->symbol : "-", states[pt->state], pt->err,
		   pt->state == PKTPATH_KPOINT_ATTACHED && !pt->tp ? pt->kp.nmissed : 0UL, atomic64_read(&pt->hits),
		   pt->why[0] ? pt->why : "-");
}

static inline int pktpath_kproc_status_show(struct seq_file *m, void *v)
{
	struct pktpath_kshim *s = m->private;
	const struct pktpath_kfilter *f;
	const struct pktpath_kreason *r;
	unsigned int i, j, n;

	seq_printf(m, "pktpath-kshim %d\nset %s\nenabled %d\nifindex %d\n", PKTPATH_KSHIM_VERSION, s->set->name,
		   READ_ONCE(s->enabled), READ_ONCE(s->ifindex));
	rcu_read_lock_sched();
	f = rcu_dereference_sched(s->filter);
	seq_printf(m, "filter %s\n", f->text);
	rcu_read_unlock_sched();
	for (i = 0; i < s->set->count; i++) {
		seq_printf(m, "stage %u %s %s", i, s->set->stages[i].name, s->stage_on & (1u << i) ? "on" : "off");
		pktpath_kproc_stats(m, &s->stats[i]);
	}
	for (i = 0; i < s->npoints; i++)
		pktpath_kproc_point(m, i, s->set->stages[s->points[i].stage].name, &s->points[i]);
	for (i = 0; i < PKTPATH_KDROP_STAGES; i++) {
		pktpath_kproc_point(m, s->npoints + i, pktpath_kdrop_stage_names[i], &s->free_points[i]);
		seq_printf(m, "free %s", pktpath_kdrop_stage_names[i]);
		pktpath_kproc_stats(m, &s->free_stats[i]);
	}
	if (s->samples) {
		unsigned long flags;
		u64 written, dropped;

		spin_lock_irqsave(&s->sample_lock, flags);
		written = s->sampled;
		dropped = pktpath_ring_drops(&s->sring);
		spin_unlock_irqrestore(&s->sample_lock, flags);
		seq_printf(m, "samples capacity=%u snap=%u slot=%u bytes=%llu written=%llu drops=%llu\n",
			   s->sring.capacity, s->snap, s->sring.elem_size, s->samples_size, written, dropped);
	}
	r = pktpath_kreasons(&n);
	for (i = 0; i < n; i++)
		seq_printf(m, "reason %u %s\n", r[i].code, r[i].name);
	for (i = 0; i < PKTPATH_KREASON_ROWS; i++) {
		for (j = 0; j < PKTPATH_KSHIM_LOCATIONS && READ_ONCE(s->locs[i][j].ip); j++)
			seq_printf(m, "location %u %lld %pS\n", i, atomic64_read(&s->locs[i][j].count),
				   (void *)READ_ONCE(s->locs[i][j].ip));
		if (atomic64_read(&s->loc_other[i]))
			seq_printf(m, "location %u %lld other\n", i, atomic64_read(&s->loc_other[i]));
	}
	return 0;
}

static inline int pktpath_kproc_status_open(struct inode *inode, struct file *f)
{
	return single_open(f, pktpath_kproc_status_show, pde_data(inode));
}

static inline ssize_t pktpath_kproc_control_write(struct file *f, const char __user *ubuf, size_t n, loff_t *pos)
{
	struct pktpath_kshim *s = pde_data(file_inode(f));
	char cmd[PKTPATH_KPROC_CMD_LEN], why[96] = "";
	int err;

	if (n >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, n))
		return -EFAULT;
	cmd[n] = '\0';
	err = pktpath_kshim_control(s, cmd, why, sizeof(why));
	if (err) {
		pr_warn("pktpath: control: %s\n", why);
		return err;
	}
	return n;
}

static const struct proc_ops pktpath_kproc_image_ops = {
	.proc_read = pktpath_kproc_image_read,
	.proc_lseek = default_llseek,
};

static const struct proc_ops pktpath_kproc_drops_ops = {
	.proc_read = pktpath_kproc_drops_read,
	.proc_lseek = default_llseek,
};

static const struct proc_ops pktpath_kproc_samples_ops = {
	.proc_read = pktpath_kproc_samples_read,
	.proc_lseek = default_llseek,
	.proc_mmap = pktpath_kproc_samples_mmap,
};

static const struct proc_ops pktpath_kproc_status_ops = {
	.proc_open = pktpath_kproc_status_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static const struct proc_ops pktpath_kproc_control_ops = {
	.proc_write = pktpath_kproc_control_write,
};

/* /proc/NAME and its files (samples when the shim keeps them); NULL when they cannot be made.  proc_remove() takes them away. */
static inline struct proc_dir_entry *pktpath_kproc_create(const char *name, struct pktpath_kshim *s)
{
	struct proc_dir_entry *dir = proc_mkdir(name, NULL), *e;

	if (!dir)
		return NULL;
	e = proc_create_data("image", 0400, dir, &pktpath_kproc_image_ops, s);
	if (e)
		proc_set_size(e, s->image_size);
	if (e)
		e = proc_create_data("drops", 0400, dir, &pktpath_kproc_drops_ops, s);
	if (e)
		proc_set_size(e, s->drops_size);
	if (e)
		e = proc_create_data("status", 0400, dir, &pktpath_kproc_status_ops, s);
	if (e)
		e = proc_create_data("control", 0200, dir, &pktpath_kproc_control_ops, s);
	if (e && s->samples) {
		e = proc_create_data("samples", 0600, dir, &pktpath_kproc_samples_ops, s);
		if (e)
			proc_set_size(e, s->samples_size);
	}
	if (!e) {
		proc_remove(dir);
		return NULL;
	}
	return dir;
}

#endif /* __KERNEL__ */
#endif /* PKTPATH_KERNEL_PROCFS_H */
