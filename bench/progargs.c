/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/sbuf.h"
#include "bench/progargs.h"

int pa_sweep_budget_ms(const struct profile *p)
{
	double per_trial = p->duration + p->warmup + 1.5;
	bool search = strcmp(p->search, "none") != 0;
	double trials = (double)p->nsizes * (p->trials * (search ? 30 : 1) + (search ? p->nlatency : 0));
	/* back-to-back: up to 25 bursts, each bounded by 4 x duration + 1 s and a drain */
	double b2b = p->back_to_back ? (double)p->nsizes * 25 * (p->duration * 4 + 2.5) : 0;

	return (int)((per_trial * trials + b2b + p->nsizes * (p->warmup_trial + 1.5)) * 1000) + 60000;
}

int pa_trafficgen_own(const struct profile *p, unsigned queues, struct strv *a)
{
	char sizes[256];
	struct sbuf sb;
	int r = 0;

	sbuf_init(&sb, sizes, sizeof(sizes));
	for (unsigned i = 0; i < p->nsizes; i++)
		sbuf_addf(&sb, "%s%s", i ? "," : "", p->sizes[i].name);
	if (sbuf_status(&sb) < 0)
		return -ENOSPC;
	r |= strv_add(a, "--size") | strv_add(a, sizes);
	r |= strv_add(a, "--queues") | strv_addf(a, "%u", queues);
	r |= strv_add(a, "--flows") | strv_addf(a, "%u", p->flows);
	r |= strv_add(a, "--duration") | strv_addf(a, "%g", p->duration);
	r |= strv_add(a, "--warmup") | strv_addf(a, "%g", p->warmup);
	r |= strv_add(a, "--trials") | strv_addf(a, "%u", p->trials);
	r |= strv_add(a, "--tolerance") | strv_addf(a, "%g", p->tolerance_pct);
	r |= strv_add(a, "--warmup-trial") | strv_addf(a, "%g", p->warmup_trial);
	if (strcmp(p->search, "none")) {
		r |= strv_add(a, "--search") | strv_add(a, p->search) | strv_add(a, "--precision") |
		     strv_addf(a, "%g", p->precision_pct);
		if (p->nlatency) {
			char loads[128];
			sbuf_init(&sb, loads, sizeof(loads));
			for (unsigned i = 0; i < p->nlatency; i++)
				sbuf_addf(&sb, "%s%g", i ? "," : "", p->latency_at[i]);
			r |= sbuf_status(&sb) < 0 || strv_add(a, "--latency-at") | strv_add(a, loads);
		}
	} else {
		r |= strv_add(a, "--rate") | strv_add(a, p->rate);
	}
	if (p->back_to_back)
		r |= strv_add(a, "--back-to-back");
	r |= strv_add(a, "--json") | strv_add(a, "--hdr");
	return r ? -ENOMEM : 0;
}

int pa_reflector_own(const struct profile *p, bool vhost, struct strv *a)
{
	int r = strv_add(a, "--mode") | strv_add(a, p->refl_mode) | strv_add(a, "--stats") | strv_add(a, "0") |
		strv_add(a, "--json");

	if (vhost)
		r |= strv_add(a, "--datapath") | strv_add(a, p->refl_datapath);
	if (p->police[0])
		r |= strv_add(a, "--police") | strv_add(a, p->police);
	return r ? -ENOMEM : 0;
}

/* EAL options for a host program at @path on @lcores (main lcore first: DPDK takes
 * the lowest as its main lcore unless told, so it is told). */
static int eal_args(const char *path, const char *lcores, struct strv *a)
{
	return (strv_add(a, path) | strv_add(a, "-l") | strv_add(a, lcores) | strv_add(a, "--main-lcore") |
		strv_addf(a, "%.*s", (int)strcspn(lcores, ","), lcores) | strv_add(a, "--no-pci") |
		strv_add(a, "--log-level=3")) ? -ENOMEM : 0;
}

int pa_host_pair(const struct profile *p, const struct pa_paths *x, unsigned queues, struct strv *refl, struct strv *tg)
{
	if (eal_args(x->reflector, p->refl_lcores, refl) < 0 || strv_add(refl, "--") < 0 || strv_add(refl, "--vhost") < 0 ||
	    strv_addf(refl, "%s/vhost0.sock,queues=%u", x->sockdir, queues) < 0 || pa_reflector_own(p, true, refl) < 0 ||
	    eal_args(x->trafficgen, p->gen_lcores, tg) < 0 || strv_add(tg, "--single-file-segments") < 0 ||
	    strv_add(tg, "--vdev") < 0 ||
	    strv_addf(tg, "net_virtio_user0,path=%s/vhost0.sock,queues=%u", x->sockdir, queues) < 0 ||
	    strv_add(tg, "--") < 0 || pa_trafficgen_own(p, queues, tg) < 0)
		return -ENOMEM;
	return 0;
}

int pa_guest_cmdline(const struct profile *p, unsigned queues, char *buf, size_t len)
{
	struct strv a = { 0 };
	struct sbuf sb;
	int r;

	if (p->mode == MODE_VM_GEN) {
		r = pa_trafficgen_own(p, queues, &a);
	} else {
		/* Until trafficgen on the host goes away (the link drops), bounded by the sweep's budget. */
		r = pa_reflector_own(p, false, &a);
		r = r ? r : (strv_add(&a, "--exit-on-disconnect") | strv_add(&a, "--duration") |
			     strv_addf(&a, "%d", pa_sweep_budget_ms(p) / 1000 + (int)p->boot_timeout)) ? -ENOMEM : 0;
	}
	if (r < 0) {
		strv_free(&a);
		return r;
	}
	sbuf_init(&sb, buf, len);
	sbuf_addf(&sb, "console=ttyS0 quiet panic=1 pinlab.role=%s pinlab.driver=%s pinlab.hugepages=%u pinlab.port=ttyS1 "
		  "pinlab.args=\"", p->mode == MODE_VM_GEN ? "gen" : "reflect", p->kernel_driver ? "kernel" : "dpdk",
		  p->guest_hugepages);
	for (size_t i = 0; i < a.n; i++)
		sbuf_addf(&sb, "%s%s", i ? " " : "", a.v[i]);
	sbuf_addf(&sb, "\"");
	strv_free(&a);
	return sbuf_status(&sb);
}

/* --libvirt [--connect URI] when the profile runs its guest under libvirt (vmlaunch's and
 * pincheck's spelling are the same). */
static int backend_args(const struct profile *p, struct strv *a)
{
	int r = 0;

	if (p->libvirt)
		r |= strv_add(a, "--libvirt");
	if (p->libvirt && p->libvirt_uri[0])
		r |= strv_add(a, "--connect") | strv_add(a, p->libvirt_uri);
	return r ? -ENOMEM : 0;
}

int pa_vmlaunch(const struct profile *p, const struct pa_paths *x, unsigned queues, struct strv *a)
{
	char cmdline[2048];
	int r;

	if ((r = pa_guest_cmdline(p, queues, cmdline, sizeof(cmdline))) < 0)
		return r;
	r = strv_add(a, x->vmlaunch) | strv_add(a, "--name") | strv_add(a, x->vm_name) | strv_add(a, "--vcpu-map") |
	    strv_add(a, p->vcpu_map) | strv_add(a, "--emulator-cpus") | strv_add(a, p->emulator_cpus) |
	    strv_add(a, "--memory") | strv_addf(a, "%lluM", (unsigned long long)p->guest_memory_mb) |
	    strv_add(a, "--hugepages") | strv_add(a, "--vhost-user") |
	    strv_addf(a, "%s/vhost0.sock,queues=%u,reconnect=1,ring=%u", x->sockdir, queues, p->ring_size) | strv_add(a, "--kernel") |
	    strv_addf(a, "%s/vmlinuz", x->guest_dir) | strv_add(a, "--initrd") |
	    strv_addf(a, "%s/initrd.img", x->guest_dir) | strv_add(a, "--append") | strv_add(a, cmdline) |
	    strv_add(a, "--console-log") | strv_add(a, x->console) | strv_add(a, "--serial") |
	    strv_add(a, x->port) | strv_add(a, "--accel") | strv_add(a, p->accel) | strv_add(a, "--allow-shared") |
	    strv_add(a, "--grace") | strv_add(a, "1") | strv_add(a, "--json");
	r |= backend_args(p, a);
	r |= strv_add(a, "--") | strv_add(a, "-no-reboot");
	return r ? -ENOMEM : 0;
}

int pa_vm_host(const struct profile *p, const struct pa_paths *x, unsigned queues, struct strv *a)
{
	int r;

	if (p->mode == MODE_VM_GEN) {
		r = eal_args(x->reflector, p->refl_lcores, a);
		r = r ? r : (strv_add(a, "--") | strv_add(a, "--vhost") |
			     strv_addf(a, "%s/vhost0.sock,queues=%u", x->sockdir, queues) | strv_add(a, "--vcpu-map") |
			     strv_add(a, p->vcpu_map)) ? -ENOMEM : pa_reflector_own(p, true, a);
	} else {
		r = eal_args(x->trafficgen, p->gen_lcores, a);
		r = r ? r : (strv_add(a, "--vdev") | strv_addf(a, "net_vhost0,iface=%s/vhost0.sock,queues=%u", x->sockdir,
								queues) | strv_add(a, "--")) ? -ENOMEM : pa_trafficgen_own(p, queues, a);
		r = r ? r : (strv_add(a, "--link-wait") | strv_addf(a, "%g", p->boot_timeout)) ? -ENOMEM : 0;
	}
	return r;
}

int pa_sampler(const struct profile *p, const struct pa_paths *x, struct strv *a)
{
	/* pincheck vm --libvirt takes the domain's name where --name takes vmlaunch's. */
	if (strv_add(a, x->pincheck) | strv_add(a, "vm") | strv_add(a, p->libvirt ? "--libvirt" : "--name") |
	    strv_add(a, x->vm_name) | (p->libvirt && p->libvirt_uri[0] ? strv_add(a, "--connect") | strv_add(a, p->libvirt_uri) : 0) |
	    strv_add(a, "--vcpu-map") | strv_add(a, p->vcpu_map) | strv_add(a, "--sample") | strv_add(a, "3600") |
	    strv_add(a, "--json"))
		return -ENOMEM;
	return 0;
}
