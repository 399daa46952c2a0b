// SPDX-License-Identifier: GPL-2.0
/*
 * Guest /init: mounts the pseudo filesystems, runs the tests named by "hp.run=a,b,..." on the
 * kernel command line as one KTAP run (each test's own KTAP indented beneath it), prints the
 * kernel log and any kmemleak report between markers for the host, and powers off.
 * A test is a program in /tests or an absolute path, with arguments after '+' signs
 * ("/kselftest/run_kselftest.sh+-t+memory-hotplug:probe_remove"); "hp.env.NAME=VALUE" sets
 * NAME in the tests' environment. "hp.shell" starts an interactive shell instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hp.h"

#define KSFT_SKIP 4

static void mount_fs(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
		printf("# init: mount %s on %s: %s\n", type, dir, strerror(errno));
}

/* The value of "key=" on the kernel command line, malloc'd, or NULL. */
static char *cmdline_value(const char *cmdline, const char *key)
{
	size_t klen = strlen(key);
	const char *p;

	for (p = cmdline; (p = strstr(p, key)); p += klen)
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=')
			return strndup(p + klen + 1, strcspn(p + klen + 1, " \n"));
	return NULL;
}

/* Sets NAME=VALUE for every "hp.env.NAME=VALUE" on the command line. */
static void set_test_env(char *cmdline)
{
	char *tok, *eq;

	for (tok = strtok(cmdline, " \n"); tok; tok = strtok(NULL, " \n")) {
		if (strncmp(tok, "hp.env.", 7))
			continue;
		eq = strchr(tok, '=');
		if (eq) {
			*eq = '\0';
			setenv(tok + 7, eq + 1, 1);
		}
	}
}

/* Runs "path+arg+arg" with its output indented under ours; returns its exit status or -1. */
static int run_test(char *cmd)
{
	char *argv[16], *path;
	int argc = 0;
	int pipefd[2], status;
	char line[4096];
	FILE *out;
	pid_t pid;

	for (path = strtok(cmd, "+"); path && argc < 15; path = strtok(NULL, "+"))
		argv[argc++] = path;
	argv[argc] = NULL;
	path = argv[0];
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(path, argv);
		printf("# init: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (fgets(line, sizeof(line), out))
		printf("    %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(out);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_tests(char *list)
{
	int nr = 1, i = 0;
	char *name, *p;

	for (p = list; *p; p++)
		nr += *p == ',';
	printf("KTAP version 1\n1..%d\n", nr);
	char *names[32];
	int n = 0;

	for (name = strtok(list, ","); name && n < 32; name = strtok(NULL, ","))
		names[n++] = name;
	for (int t = 0; t < n; t++) {
		char cmd[256];
		int rc;

		name = names[t];
		snprintf(cmd, sizeof(cmd), name[0] == '/' ? "%s" : "/tests/%s", name);
		rc = run_test(cmd);
		i++;
		if (rc == 0)
			printf("ok %d %s\n", i, name);
		else if (rc == KSFT_SKIP)
			printf("ok %d %s # SKIP\n", i, name);
		else
			printf("not ok %d %s # exit status %d\n", i, name, rc);
	}
}

static void dump_kernel_log(void)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf = malloc(len > 0 ? len + 1 : 1), *kml;

	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len > 0 ? len : 0);
	printf("# init: --- guest dmesg ---\n");
	if (len > 0)
		fwrite(buf, 1, len, stdout);
	printf("# init: --- end of guest dmesg ---\n");
	free(buf);

	/* kmemleak reports only on request: scan once, then print what it found. */
	if (!write_file("/sys/kernel/debug/kmemleak", "scan")) {
		kml = read_file("/sys/kernel/debug/kmemleak");
		printf("# init: --- kmemleak ---\n%s# init: --- end of kmemleak ---\n",
		       kml ? kml : "");
		free(kml);
	}
}

int main(void)
{
	char *cmdline, *tests;

	mount_fs("devtmpfs", "/dev", "devtmpfs");
	/* Our stdout is the console: keep KTAP lines whole between kernel messages. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("debugfs", "/sys/kernel/debug", "debugfs");
	mount_fs("tmpfs", "/tmp", "tmpfs");
	/* What udev would create; run_kselftest.sh writes test output to /dev/stdout. */
	symlink("/proc/self/fd", "/dev/fd");
	symlink("/proc/self/fd/0", "/dev/stdin");
	symlink("/proc/self/fd/1", "/dev/stdout");
	symlink("/proc/self/fd/2", "/dev/stderr");
	setenv("PATH", "/bin:/tests", 1);
	setenv("HOME", "/", 1);

	cmdline = read_file("/proc/cmdline");
	tests = cmdline ? cmdline_value(cmdline, "hp.run") : NULL;
	if (cmdline)
		set_test_env(strdup(cmdline));
	if (cmdline && strstr(cmdline, " hp.shell")) {
		printf("\nhot-plug test guest: tests in /tests, busybox and bash in /bin; 'poweroff -f' or exit to stop\n");
		if (fork() == 0) {
			setsid();
			execl("/bin/busybox", "cttyhack", "/bin/sh", "-l", (char *)NULL);
			_exit(127);
		}
		wait(NULL);
	} else if (tests) {
		run_tests(tests);
		dump_kernel_log();
	} else {
		printf("# init: nothing to do: no hp.run= or hp.shell on the command line\n");
	}
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
