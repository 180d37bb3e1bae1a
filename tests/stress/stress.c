/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* The racing stress test of vmlock's mode matrix, through the real
 * `vmlock run`: workers launch holders of a few images in random modes,
 * some failing at once when busy, some with --wait 0.2 and some with
 * --wait -1, and now and then a handover pair (a source, `vmlock handover
 * --pid`, and a `run --incoming` target). Every holder is this program
 * (--hold), exec'd by vmlock while its locks are held: it enters a shared
 * table of who holds what, checks every other holder of its image against
 * the matrix (a target may overlap its own source, and only it), sleeps,
 * and leaves. Prints TAP, with the acquisitions per second.
 *
 *   VMLOCK               the vmlock binary (required)
 *   STRESS_ACQUISITIONS  holds to reach (default 1000)
 *   STRESS_WORKERS       concurrent launchers (8), STRESS_IMAGES (3)
 *   STRESS_TIMEOUT       seconds before giving up (900) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_IMAGES 16
#define MAX_HOLDERS 64
#define OFFERS (((off_t)1 << 40) + 5)	/* vmlock(1), LOCK BYTES: B+5, B+6 */

enum { EXCLUSIVE, SHARED, READONLY };
static const char *const mode_names[] = { "exclusive", "shared", "readonly" };

struct holder {
	pid_t pid;
	int mode;
	pid_t source;		/* a handover target's source, or 0 */
};

struct image {
	pthread_mutex_t mu;
	int n;
	struct holder h[MAX_HOLDERS];
};

/* The table every holder shares, a file mapped by each. */
struct table {
	atomic_long entries, by_mode[3], violations, overlaps;
	atomic_long ok, busy, other, waited_ok, handovers, pairs;
	char violation[256];	/* the first one */
	struct image img[MAX_IMAGES];
};

static struct table *map_table(const char *path, bool create)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0),
		      0600);
	struct table *t;

	if (fd < 0 || (create && ftruncate(fd, sizeof *t) < 0))
		return NULL;
	t = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return t == MAP_FAILED ? NULL : t;
}

static void lock_image(struct image *im)
{
	if (pthread_mutex_lock(&im->mu) == EOWNERDEAD)
		pthread_mutex_consistent(&im->mu);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

/* May `me` hold in mode beside o? The matrix, and a target beside its
 * own source. */
static bool compatible(const struct holder *me, const struct holder *o)
{
	if (me->source == o->pid || o->source == me->pid)
		return true;
	return me->mode == o->mode && me->mode != EXCLUSIVE;
}

static void enter(struct table *t, int img, const struct holder *me)
{
	struct image *im = &t->img[img];

	lock_image(im);
	for (int i = 0; i < im->n; i++) {
		const struct holder *o = &im->h[i];
		if (me->source && me->source == o->pid)
			t->overlaps++;
		if (!compatible(me, o) && t->violations++ == 0)
			snprintf(t->violation, sizeof t->violation, "image %d: pid "
				 "%d %s entered while pid %d held %s", img,
				 (int)me->pid, mode_names[me->mode], (int)o->pid,
				 mode_names[o->mode]);
	}
	if (im->n < MAX_HOLDERS)
		im->h[im->n++] = *me;
	pthread_mutex_unlock(&im->mu);
	t->entries++;
	t->by_mode[me->mode]++;
}

static void leave(struct table *t, int img, pid_t pid)
{
	struct image *im = &t->img[img];

	lock_image(im);
	for (int i = 0; i < im->n; i++)
		if (im->h[i].pid == pid)
			im->h[i--] = im->h[--im->n];
	pthread_mutex_unlock(&im->mu);
}

/* Is a target of source in the table of img yet? (pid: is pid in it?) */
static bool in_table(struct table *t, int img, pid_t pid, bool as_source)
{
	struct image *im = &t->img[img];
	bool found = false;

	lock_image(im);
	for (int i = 0; i < im->n && !found; i++)
		found = (as_source ? im->h[i].source : im->h[i].pid) == pid;
	pthread_mutex_unlock(&im->mu);
	return found;
}

static volatile sig_atomic_t released;

static void on_release(int sig)
{
	(void)sig;
	released = 1;
}

/* --hold TABLE IMAGE MODE MS SOURCE: what vmlock runs. SOURCE -1: a
 * handover source, which holds until its target is in (as a migrated
 * source QEMU quits) or its worker gives up on the pair (SIGUSR1), at
 * most 3 s; > 0: the target of that source. */
static int hold(char **argv)
{
	struct table *t = map_table(argv[2], false);
	int img = atoi(argv[3]);
	long ms = atol(argv[5]), source = atol(argv[6]);
	struct holder me = { getpid(), atoi(argv[4]), source > 0 ? source : 0 };

	if (!t || img < 0 || img >= MAX_IMAGES)
		return 66;
	signal(SIGUSR1, on_release);
	enter(t, img, &me);
	if (source < 0)
		for (double end = now() + 3; now() < end && !released &&
		     !in_table(t, img, me.pid, true);)
			nap_ms(1);
	nap_ms(ms);
	leave(t, img, me.pid);
	return 0;
}

/* ---- the launchers ---------------------------------------------------- */

struct run {
	const char *vmlock, *self, *table;
	char **images;
	int n_images, errfd;
	long target;
	unsigned seed;
};

static double rand01(struct run *r)
{
	return rand_r(&r->seed) / ((double)RAND_MAX + 1);
}

static pid_t spawn(struct run *r, char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		dup2(r->errfd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* vmlock run --lock IMAGE:MODE [--wait W] [--incoming] -- self --hold ... */
static pid_t launch(struct run *r, int img, int mode, const char *wait,
		    bool incoming, long ms, long source)
{
	char spec[PATH_MAX + 16], a_img[16], a_mode[4], a_ms[24], a_src[24];
	char *argv[16];
	int n = 0;

	snprintf(spec, sizeof spec, "%s:%s", r->images[img], mode_names[mode]);
	snprintf(a_img, sizeof a_img, "%d", img);
	snprintf(a_mode, sizeof a_mode, "%d", mode);
	snprintf(a_ms, sizeof a_ms, "%ld", ms);
	snprintf(a_src, sizeof a_src, "%ld", source);
	argv[n++] = (char *)r->vmlock;
	argv[n++] = "run";
	argv[n++] = "--lock";
	argv[n++] = spec;
	if (wait) {
		argv[n++] = "--wait";
		argv[n++] = (char *)wait;
	}
	if (incoming)
		argv[n++] = "--incoming";
	argv[n++] = "--";
	argv[n++] = (char *)r->self;
	argv[n++] = "--hold";
	argv[n++] = (char *)r->table;
	argv[n++] = a_img;
	argv[n++] = a_mode;
	argv[n++] = a_ms;
	argv[n++] = a_src;
	argv[n] = NULL;
	return spawn(r, argv);
}

static void count(struct run *r, struct table *t, int rc)
{
	if (rc == 0)
		t->ok++;
	else if (rc == 75)
		t->busy++;
	else {
		char buf[1024];
		ssize_t len = pread(r->errfd, buf, sizeof buf - 1, 0);
		buf[len > 0 ? len : 0] = '\0';
		if (t->other++ < 5) {
			printf("# unexpected exit status %d: %s", rc, buf);
			fflush(stdout);
		}
	}
	if (ftruncate(r->errfd, 0) == 0)
		lseek(r->errfd, 0, SEEK_SET);
}

/* Is a handover offer up on the image (a write lock on B+5 or B+6)? */
static bool offered(const char *image)
{
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = OFFERS, .l_len = 2 };
	bool up = fd >= 0 && fcntl(fd, F_OFD_GETLK, &fl) == 0 &&
		  fl.l_type != F_UNLCK;

	if (fd >= 0)
		close(fd);
	return up;
}

static bool alive(pid_t pid)
{
	siginfo_t info = { .si_pid = 0 };

	return waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid == 0;
}

/* Waits (3 s at most) until cond, or pid has exited. */
static bool wait_for(struct run *r, struct table *t, pid_t pid, int img,
		     bool offer)
{
	for (double end = now() + 3; now() < end && alive(pid);) {
		if (offer ? offered(r->images[img]) : in_table(t, img, pid, false))
			return true;
		nap_ms(1);
	}
	return false;
}

static void handover_pair(struct run *r, struct table *t, int img)
{
	char pid_arg[24];
	pid_t src = launch(r, img, EXCLUSIVE, NULL, false, 0, -1);

	t->pairs++;
	if (!wait_for(r, t, src, img, false)) {
		count(r, t, reap(src));
		return;
	}
	snprintf(pid_arg, sizeof pid_arg, "%d", (int)src);
	char *ho_argv[] = { (char *)r->vmlock, "handover", "--pid", pid_arg,
			    "--timeout", "3", NULL };
	pid_t ho = spawn(r, ho_argv);
	bool up = wait_for(r, t, ho, img, true);
	pid_t dst = launch(r, img, EXCLUSIVE, NULL, true, (long)(rand01(r) * 20),
			   src);
	int dst_rc = reap(dst), ho_rc = reap(ho);

	kill(src, SIGUSR1);	/* our child: no target is coming any more */
	count(r, t, reap(src));
	count(r, t, dst_rc);
	if (up && dst_rc == 0 && ho_rc == 0)
		t->handovers++;
}

static void worker(struct run *r, struct table *t)
{
	static const char *const waits[] = { NULL, NULL, "0.2" };

	while (t->entries < r->target) {
		double x = rand01(r);
		int img = (int)(rand01(r) * r->n_images);
		if (x < 0.05) {
			handover_pair(r, t, img);
			continue;
		}
		const char *wait = x < 0.8 ? waits[rand_r(&r->seed) % 3] : "-1";
		int rc = reap(launch(r, img, (int)(rand01(r) * 3), wait, false,
				     (long)(rand01(r) * 21), 0));
		count(r, t, rc);
		if (rc == 0 && wait)
			t->waited_ok++;
	}
}

static long env_long(const char *name, long fallback)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : fallback;
}

static char *make_images(char *dir, int n, char **images)
{
	for (int i = 0; i < n; i++) {
		images[i] = malloc(strlen(dir) + 16);
		sprintf(images[i], "%s/img%d", dir, i);
		int fd = open(images[i], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
			return images[i];
		close(fd);
	}
	return NULL;
}

static struct table *make_table(const char *path)
{
	struct table *t = map_table(path, true);
	pthread_mutexattr_t a;

	if (!t)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (int i = 0; i < MAX_IMAGES; i++)
		pthread_mutex_init(&t->img[i].mu, &a);
	return t;
}

/* Runs the workers, each in a process group of its own, so that at the
 * timeout it and every launch it started can be stopped. */
static bool run_workers(struct run *r, struct table *t, int workers,
			long timeout)
{
	pid_t pids[256];
	double end = now() + timeout;
	int left = workers;

	for (int i = 0; i < workers; i++) {
		fflush(stdout);
		if ((pids[i] = fork()) == 0) {
			setpgid(0, 0);
			r->seed = (unsigned)(i * 7919 + getpid());
			char errname[64];
			snprintf(errname, sizeof errname, "%s.err%d", r->table, i);
			r->errfd = open(errname, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
			worker(r, t);
			_exit(0);
		}
		setpgid(pids[i], pids[i]);
	}
	while (left > 0 && now() < end) {
		nap_ms(10);
		for (int i = 0; i < workers; i++)
			if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
				pids[i] = 0;
				left--;
			}
	}
	for (int i = 0; i < workers; i++)
		if (pids[i] > 0) {
			kill(-pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
	return left == 0;
}

static void report(struct table *t, struct run *r, int workers, double took,
		   bool finished)
{
	printf("1..4\n");
	printf("%sok 1 - %ld acquisitions (%ld exclusive, %ld shared, %ld "
	       "readonly) on %d images by %d workers: %ld violations of the "
	       "mode matrix\n", t->violations ? "not " : "", (long)t->entries,
	       (long)t->by_mode[0], (long)t->by_mode[1], (long)t->by_mode[2],
	       r->n_images, workers, (long)t->violations);
	if (t->violations)
		printf("# first: %s\n", t->violation);
	printf("%sok 2 - every launch ended 0 or 75 (%ld acquired, %ld busy, "
	       "%ld other), %ld after waiting\n", t->other ? "not " : "",
	       (long)t->ok, (long)t->busy, (long)t->other, (long)t->waited_ok);
	printf("%sok 3 - handovers completed: %ld of %ld tried, each target in "
	       "beside its source (%ld times)\n", t->handovers &&
	       t->overlaps >= t->handovers ? "" : "not ", (long)t->handovers,
	       (long)t->pairs, (long)t->overlaps);
	printf("%sok 4 - reached %ld acquisitions before the timeout\n",
	       finished ? "" : "not ", r->target);
	printf("# %.1f acquisitions/s over %.1f s\n", t->entries / took, took);
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "--hold"))
		return hold(argv);
	struct run r = { .vmlock = getenv("VMLOCK"),
			 .target = env_long("STRESS_ACQUISITIONS", 1000),
			 .n_images = (int)env_long("STRESS_IMAGES", 3) };
	int workers = (int)env_long("STRESS_WORKERS", 8);
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], table[PATH_MAX + 8], *images[MAX_IMAGES], *bad;

	if (!r.vmlock || r.n_images < 1 || r.n_images > MAX_IMAGES ||
	    workers < 1 || workers > 256) {
		fprintf(stderr, "stress: set VMLOCK; 1 <= STRESS_IMAGES <= %d, "
			"1 <= STRESS_WORKERS <= 256\n", MAX_IMAGES);
		return 99;
	}
	snprintf(dir, sizeof dir, "%s/vmlock-stress-XXXXXX", tmp && *tmp ? tmp
								   : "/tmp");
	char *self = realpath("/proc/self/exe", NULL);
	if (!self || !mkdtemp(dir))
		return 99;
	snprintf(table, sizeof table, "%s/table", dir);
	struct table *t = make_table(table);
	if (!t || (bad = make_images(dir, r.n_images, images))) {
		perror("stress: setting up");
		return 99;
	}
	r.self = self;
	r.table = table;
	r.images = images;
	double start = now();
	bool finished = run_workers(&r, t, workers,
				    env_long("STRESS_TIMEOUT", 900));
	report(t, &r, workers, now() - start, finished);
	char *rm[] = { "rm", "-rf", dir, NULL };
	if (fork() == 0)
		execvp("rm", rm);
	wait(NULL);
	for (int i = 0; i < r.n_images; i++)
		free(images[i]);
	free(self);
	return t->violations || t->other || !finished || !t->handovers;
}
