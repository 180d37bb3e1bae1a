/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Copyright (C) 2026 The vmlock authors */
/* bench/spawn: a precise launcher for bench/run (not part of the build;
 * bench/run compiles it with `cc -O2`).
 *
 *   spawn time [-n REPS] [-w WARMUP] -- CMD0 ARGS... ::: CMD1 ARGS... ...
 *	Runs the commands alternately, REPS rounds (after WARMUP rounds that
 *	are not reported); the order within a round rotates, so no command
 *	always follows the same one. Prints one line per round: the wall time
 *	of each command in nanoseconds, in the order given. Wall time is from
 *	just before posix_spawn to just after waitpid (spawn, exec, run, exit,
 *	reap), measured with CLOCK_MONOTONIC. Every command must exit 0.
 *
 *   spawn rss -- CMD ARGS...
 *	Runs CMD once; prints ru_maxrss (KiB) from wait4. The kernel carries
 *	a process's peak RSS across exec, so for `vmlock run ... -- /bin/true`
 *	this is max(peak of vmlock before exec, peak of /bin/true): the same
 *	number that `/usr/bin/time -f %M` prints.
 *
 *   spawn loop -p WORKERS -d SECONDS -- CMD ARGS...
 *	Starts WORKERS processes that each run CMD again and again, all
 *	starting together, until SECONDS have passed. Prints
 *	"COMPLETED FAILED ELAPSED_NS": runs that exited 0, runs that did not,
 *	and the time from the start to the last completion.
 *
 * Children get /dev/null as stdin, stdout and stderr (-e keeps stderr).
 * On SIGINT/SIGTERM it kills its own children (by pid) and exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static posix_spawn_file_actions_t actions;
static volatile pid_t current_child;	/* the command now running */
static pid_t *workers;
static int nworkers;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "spawn: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(2);
}

static void on_signal(int sig)
{
	if (current_child > 0)
		kill(current_child, SIGKILL);
	for (int i = 0; i < nworkers; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGTERM);
	_exit(128 + sig);
}

static void setup(int keep_stderr)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
	if (!keep_stderr)
		posix_spawn_file_actions_addopen(&actions, 2, "/dev/null",
						 O_WRONLY, 0);
}

/* Runs argv once; returns its wait status (-1: could not spawn). */
static int run_once(char **argv, struct rusage *ru)
{
	pid_t pid;
	int status, err;

	err = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
	if (err) {
		errno = err;
		return -1;
	}
	current_child = pid;
	while (wait4(pid, &status, 0, ru) < 0)
		if (errno != EINTR)
			return -1;
	current_child = 0;
	return status;
}

/* Splits argv at ":::" into up to max commands. */
static int split(char **argv, char ***cmds, int max)
{
	int n = 0;

	if (!*argv)
		return 0;
	cmds[n++] = argv;
	for (; *argv; argv++)
		if (!strcmp(*argv, ":::")) {
			*argv = NULL;
			if (n == max)
				die("%s", "too many commands");
			cmds[n++] = argv + 1;
		}
	for (int i = 0; i < n; i++)
		if (!cmds[i][0])
			die("%s", "empty command");
	return n;
}

static void check(int status, char **argv)
{
	if (status == -1)
		die("cannot run %s", argv[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "spawn: %s %s exited with %s %d\n", argv[0],
			argv[1] ? argv[1] : "",
			WIFEXITED(status) ? "status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		exit(3);
	}
}

static int cmd_time(int reps, int warmup, char **argv)
{
	char **cmds[64];
	int n = split(argv, cmds, 64);
	uint64_t t[64];

	if (!n)
		die("%s", "time: no command");
	for (int r = -warmup; r < reps; r++) {
		int first = (r + warmup) % n;
		for (int k = 0; k < n; k++) {
			int i = (first + k) % n;
			struct rusage ru;
			uint64_t t0 = now_ns();
			int status = run_once(cmds[i], &ru);
			t[i] = now_ns() - t0;
			check(status, cmds[i]);
		}
		if (r < 0)
			continue;
		for (int i = 0; i < n; i++)
			printf("%s%llu", i ? " " : "", (unsigned long long)t[i]);
		putchar('\n');
	}
	return fflush(stdout) ? 2 : 0;
}

static int cmd_rss(char **argv)
{
	struct rusage ru;
	int status = run_once(argv, &ru);

	check(status, argv);
	printf("%ld\n", ru.ru_maxrss);
	return 0;
}

static int cmd_loop(int n, double seconds, char **argv)
{
	int go[2], res[2];
	unsigned long long done = 0, failed = 0, last = 0;

	if (n < 1 || n > 4096 || pipe(go) || pipe(res))
		die("%s", "loop: bad worker count or no pipes");
	workers = calloc((size_t)n, sizeof *workers);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid < 0)
			die("%s", "fork failed");
		if (pid == 0) {
			char c;
			unsigned long long ok = 0, bad = 0, end = 0;
			nworkers = 0;
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			close(go[1]);
			close(res[0]);
			if (read(go[0], &c, 1) < 0)	/* EOF: start */
				_exit(2);
			uint64_t start = now_ns();
			uint64_t stop = start + (uint64_t)(seconds * 1e9);
			while (now_ns() < stop) {
				int status = run_once(argv, NULL);
				if (status == 0)
					ok++;
				else
					bad++;
				end = now_ns();
			}
			char line[128];
			int len = snprintf(line, sizeof line, "%llu %llu %llu\n",
					   ok, bad, end);
			if (write(res[1], line, (size_t)len) != len)
				_exit(2);
			_exit(0);
		}
		workers[i] = pid;
		nworkers = i + 1;
	}
	close(go[0]);
	close(res[1]);
	uint64_t start = now_ns();
	close(go[1]);			/* all workers start now */
	FILE *f = fdopen(res[0], "r");
	unsigned long long ok, bad, end;
	while (f && fscanf(f, "%llu %llu %llu", &ok, &bad, &end) == 3) {
		done += ok;
		failed += bad;
		if (end > last)
			last = end;
	}
	for (int i = 0; i < n; i++) {
		waitpid(workers[i], NULL, 0);
		workers[i] = 0;
	}
	printf("%llu %llu %llu\n", done, failed,
	       last > start ? last - start : 0);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, reps = 100, warmup = 3, procs = 2, keep_stderr = 0;
	double seconds = 1;

	if (argc < 2)
		die("%s", "usage: spawn time|rss|loop [OPTIONS] -- CMD...");
	const char *mode = argv[1];
	argv++;
	argc--;
	while ((opt = getopt(argc, argv, "+n:w:p:d:e")) != -1) {
		switch (opt) {
		case 'n': reps = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'p': procs = atoi(optarg); break;
		case 'd': seconds = atof(optarg); break;
		case 'e': keep_stderr = 1; break;
		default: die("%s", "bad option");
		}
	}
	if (!argv[optind])
		die("%s", "no command");
	setup(keep_stderr);
	if (!strcmp(mode, "time"))
		return cmd_time(reps, warmup, argv + optind);
	if (!strcmp(mode, "rss"))
		return cmd_rss(argv + optind);
	if (!strcmp(mode, "loop"))
		return cmd_loop(procs, seconds, argv + optind);
	die("unknown mode %s", mode);
	return 2;
}
