/* calls_bpf.c - socket system call records from the kernel: the BPF
 * programs of src/bpf/calls.bpf.c (raw sys_enter/sys_exit tracepoints,
 * CO-RE), loaded with libbpf from the object embedded at build time
 * (bpftool gen skeleton), records through a BPF ring buffer (issue 14).
 * libbpf (and the libelf and libz it needs) is opened when calls are traced,
 * not linked: a run that traces no calls does not load it (start-up, issue 15).
 * Built without BPF (no clang, bpftool or libbpf): every call says so. */
#include "calls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef FT_HAVE_BPF
#include <dirent.h>

#include <dlfcn.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

/* The libbpf functions used here and by the skeleton, found in libbpf.so.1
 * by libbpf_load; each name below then calls through its pointer (the
 * skeleton's inline functions included). */
#define FT_LIBBPF(X)                                                                               \
	X(bpf_map__fd)                                                                             \
	X(bpf_map_delete_elem)                                                                     \
	X(bpf_map_lookup_elem)                                                                     \
	X(bpf_map_update_elem)                                                                     \
	X(bpf_object__attach_skeleton)                                                             \
	X(bpf_object__destroy_skeleton)                                                            \
	X(bpf_object__detach_skeleton)                                                             \
	X(bpf_object__load_skeleton)                                                               \
	X(bpf_object__open_skeleton)                                                               \
	X(libbpf_set_print)                                                                        \
	X(ring_buffer__consume)                                                                    \
	X(ring_buffer__free)                                                                       \
	X(ring_buffer__new)

#define FT_LIBBPF_PTR(name) static __typeof__(name) *libbpf_##name;
FT_LIBBPF(FT_LIBBPF_PTR)

#define LIBBPF_SONAME "libbpf.so.1"

/* Open libbpf once and find every function; false (errbuf says why) when it
 * or one of them is missing: calls then go through ptrace. */
static bool libbpf_load(char *errbuf)
{
	static void *lib;
	if (lib)
		return true;
	void *h = dlopen(LIBBPF_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "%s", e ? e : LIBBPF_SONAME ": cannot be opened");
		return false;
	}
#define FT_LIBBPF_SYM(name)                                                                        \
	if (!(*(void **)&libbpf_##name = dlsym(h, #name))) {                                      \
		snprintf(errbuf, CALLS_ERRBUF_SIZE, LIBBPF_SONAME " has no %s", #name);             \
		dlclose(h);                                                                        \
		return false;                                                                      \
	}
	FT_LIBBPF(FT_LIBBPF_SYM)
#undef FT_LIBBPF_SYM
	lib = h;
	return true;
}

#define bpf_map__fd (*libbpf_bpf_map__fd)
#define bpf_map_delete_elem (*libbpf_bpf_map_delete_elem)
#define bpf_map_lookup_elem (*libbpf_bpf_map_lookup_elem)
#define bpf_map_update_elem (*libbpf_bpf_map_update_elem)
#define bpf_object__attach_skeleton (*libbpf_bpf_object__attach_skeleton)
#define bpf_object__destroy_skeleton (*libbpf_bpf_object__destroy_skeleton)
#define bpf_object__detach_skeleton (*libbpf_bpf_object__detach_skeleton)
#define bpf_object__load_skeleton (*libbpf_bpf_object__load_skeleton)
#define bpf_object__open_skeleton (*libbpf_bpf_object__open_skeleton)
#define libbpf_set_print (*libbpf_libbpf_set_print)
#define ring_buffer__consume (*libbpf_ring_buffer__consume)
#define ring_buffer__free (*libbpf_ring_buffer__free)
#define ring_buffer__new (*libbpf_ring_buffer__new)

#include "calls.skel.h"

struct calls_src {
	struct calls_bpf *skel;
	struct ring_buffer *rb;
	calls_rec_fn fn;   /* for the ring buffer's callback, during a drain */
	void *ctx;
	int traced_fd;     /* the map of traced tgids */
};

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int on_ring(void *ctx, void *data, size_t size)
{
	struct calls_src *s = ctx;
	if (size < sizeof(struct calls_raw))
		return 0;
	struct calls_raw r;
	memcpy(&r, data, sizeof(r));
	s->fn(s->ctx, &r);
	return 0;
}

struct calls_src *calls_bpf_open(bool for_pid, char *errbuf)
{
	(void)for_pid;
#if !defined(__x86_64__)
	snprintf(errbuf, CALLS_ERRBUF_SIZE, "the BPF programs are for x86_64");
	return NULL;
#else
	if (!libbpf_load(errbuf))
		return NULL;
	libbpf_set_print(quiet_print);
	struct calls_src *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	int err;
	s->skel = calls_bpf__open();
	if (!s->skel) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "BPF object: %s", strerror(errno));
		goto fail;
	}
	if ((err = calls_bpf__load(s->skel)) != 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "cannot load the BPF programs: %s%s",
			 strerror(-err),
			 err == -EPERM ? " (needs root, or CAP_BPF and CAP_PERFMON)"
			 : access("/sys/kernel/btf/vmlinux", R_OK) ? " (the kernel has no BTF)"
								   : "");
		goto fail;
	}
	if ((err = calls_bpf__attach(s->skel)) != 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "cannot attach to the syscall tracepoints: %s",
			 strerror(-err));
		goto fail;
	}
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ring, s, NULL);
	if (!s->rb) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "BPF ring buffer: %s", strerror(errno));
		goto fail;
	}
	s->traced_fd = bpf_map__fd(s->skel->maps.traced);
	return s;
fail:
	calls_bpf_close(s);
	return NULL;
#endif
}

int calls_bpf_self(struct calls_src *s, bool on)
{
	__u32 me = (__u32)getpid();
	__u8 v = 2; /* its children are traced, not itself */
	return on ? bpf_map_update_elem(s->traced_fd, &me, &v, BPF_ANY)
		  : bpf_map_delete_elem(s->traced_fd, &me);
}

/* pid's parent from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *rp = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	int ppid;
	if (!rp || sscanf(rp + 1, " %*c %d", &ppid) != 1)
		return -1;
	return (pid_t)ppid;
}

int calls_bpf_attach(struct calls_src *s, pid_t pid, char *errbuf)
{
	__u8 one = 1;
	__u32 key = (__u32)pid;
	if (bpf_map_update_elem(s->traced_fd, &key, &one, BPF_ANY) != 0) {
		snprintf(errbuf, CALLS_ERRBUF_SIZE, "BPF map: %s", strerror(errno));
		return -1;
	}
	/* The processes it already started: each whose parent is traced (a few
	 * passes, as a scan may see a child before its parent is added). */
	for (int pass = 0; pass < 4; pass++) {
		DIR *d = opendir("/proc");
		if (!d)
			break;
		struct dirent *de;
		unsigned added = 0;
		while ((de = readdir(d)) != NULL) {
			char *end;
			long p = strtol(de->d_name, &end, 10);
			if (*end || p <= 0)
				continue;
			__u32 k = (__u32)p, pk;
			__u8 v;
			pid_t pp = parent_of((pid_t)p);
			if (pp <= 0 || bpf_map_lookup_elem(s->traced_fd, &k, &v) == 0)
				continue;
			pk = (__u32)pp;
			if (bpf_map_lookup_elem(s->traced_fd, &pk, &v) == 0 && v == 1 &&
			    bpf_map_update_elem(s->traced_fd, &k, &one, BPF_ANY) == 0)
				added++;
		}
		closedir(d);
		if (!added)
			break;
	}
	return 0;
}

int calls_bpf_drain(struct calls_src *s, calls_rec_fn fn, void *ctx)
{
	s->fn = fn;
	s->ctx = ctx;
	return ring_buffer__consume(s->rb);
}

uint64_t calls_bpf_lost(const struct calls_src *s)
{
	return s->skel->bss ? s->skel->bss->lost : 0;
}

void calls_bpf_close(struct calls_src *s)
{
	if (!s)
		return;
	ring_buffer__free(s->rb);
	calls_bpf__destroy(s->skel);
	free(s);
}

#else /* no BPF in this build */

struct calls_src *calls_bpf_open(bool for_pid, char *errbuf)
{
	(void)for_pid;
	snprintf(errbuf, CALLS_ERRBUF_SIZE,
		 "this fetchtrace was built without BPF (clang, bpftool or libbpf-dev missing)");
	return NULL;
}

int calls_bpf_self(struct calls_src *s, bool on)
{
	(void)s, (void)on;
	return -1;
}

int calls_bpf_attach(struct calls_src *s, pid_t pid, char *errbuf)
{
	(void)s, (void)pid;
	snprintf(errbuf, CALLS_ERRBUF_SIZE, "built without BPF");
	return -1;
}

int calls_bpf_drain(struct calls_src *s, calls_rec_fn fn, void *ctx)
{
	(void)s, (void)fn, (void)ctx;
	return -1;
}

uint64_t calls_bpf_lost(const struct calls_src *s)
{
	(void)s;
	return 0;
}

void calls_bpf_close(struct calls_src *s)
{
	(void)s;
}
#endif
