// SPDX-License-Identifier: GPL-2.0
/*
 * qemu-mig: drive repeated file-based migrations of a QEMU guest that runs
 * tools/guest-clock.c as /init, and measure what the guest's clock does.
 *
 * usage: qemu-mig --qemu PATH [--qemu-dst PATH] --policy NAME --runs N
 *                 --out CSV [--timeout S] [--slow F] [--dst-paused] [--state FILE]
 *                 [--uri-save URI --uri-load URI] [--src-arg ARG]...
 *                 [--dst-arg ARG]... -- <qemu args...>
 *
 * --src-arg adds ARG to the first source only, --dst-arg to every
 * destination (a stock source and a patched destination, say).
 *
 * --slow F multiplies every wait for QEMU and the guest (QMP replies, the
 * guest's @@READY, the destination's RESUME) by F: a QEMU that starts in
 * tens of seconds, as qemu-system-aarch64 does in an emulated arm64 L1.
 * It does not scale --timeout (default 600 s), the limit of the whole
 * run: that stays within what the caller allows each run, so that a
 * hung run fails alone.
 *
 * --dst-paused starts each destination with -S, as libvirt does, and once
 * its incoming migration completed reads CPU 0's registers from KVM with
 * HMP "info registers" (a CPU state sync, as gdb or a dump would do)
 * before "cont": the VM must resume with the migrated state all the same.
 *
 * The source QEMU gets "<args> -serial stdio -display none -monitor none
 * -nodefaults -qmp unix:/tmp/qmp-<n>.sock,server=on,wait=off"; each
 * destination additionally "-incoming defer".  Guest serial output is
 * echoed as "L2| ..." and the guest's @@ lines are parsed.
 *
 * Build: gcc -O2 -static -Wall -Wextra -o qemu-mig qemu-mig.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 8192

struct qemu {
	pid_t pid;
	int out_fd;		/* serial + stderr pipe */
	int qmp_fd;		/* QMP read side */
	int qmp_wfd;		/* QMP write side (same fd for a socket) */
	int n;
	char sock[108];
	char obuf[LINE_MAX_LEN];
	size_t olen;
	char qbuf[65536];
	size_t qlen;
	int next_id;
	int greeted;
	/* last QMP reply */
	int reply_id;
	int reply_ok;
	char reply[LINE_MAX_LEN];
};

/* guest-side state parsed from serial */
static int g_ready;
static long g_events;		/* @@EV + @@GAP lines seen */
static long g_hb;
static int g_have_ev;		/* an event was seen since reset */
static int g_ev_is_gap;
static long long g_step, g_mono_gap, g_kgap, g_step_ticks, g_phys_step, g_phys_err;
static int g_has_step_ticks;	/* the @@EV had step_ticks= (arm64) */
static int g_has_phys;		/* ... and phys_step_ns=, phys_err_ns= */
static double tmul = 1;		/* --slow */

/* QMP events of the current instance */
static long long e_stop_us = -1, e_resume_us = -1;
static int dst_paused;
static char e_mig_status[64];

static struct qemu *cur;	/* instance whose output we are reading */
static struct qemu *children[4];
static double t_start, deadline;
static const char *state_file = "/tmp/mig-state";
static int use_fifo;		/* kernel without AF_UNIX: QMP over FIFOs */

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void vlogm(const char *tag, const char *fmt, va_list ap)
{
	printf("qemu-mig[%7.2f]: %s", now() - t_start, tag);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((format(printf, 1, 2)))
static void logm(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogm("", fmt, ap);
	va_end(ap);
}

static void kill_children(void)
{
	for (int i = 0; i < 4; i++) {
		if (children[i] && children[i]->pid > 0) {
			kill(children[i]->pid, SIGKILL);
			waitpid(children[i]->pid, NULL, 0);
			children[i]->pid = -1;
		}
	}
}

static void on_signal(int sig)
{
	(void)sig;
	kill_children();
	_exit(1);
}

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlogm("FAIL: ", fmt, ap);
	va_end(ap);
	kill_children();
	exit(1);
}

static void track(struct qemu *q)
{
	for (int i = 0; i < 4; i++)
		if (!children[i] || children[i]->pid <= 0) {
			children[i] = q;
			return;
		}
}

/* ---------------------------------------------------------------- parsing */

static long long field_ll(const char *s, const char *key, int *ok)
{
	const char *p = s;
	size_t kl = strlen(key);

	/* match key at the start of a word */
	while ((p = strstr(p, key))) {
		if (p == s || p[-1] == ' ') {
			*ok = 1;
			return strtoll(p + kl, NULL, 0);
		}
		p += kl;
	}
	return 0;
}

static void guest_line(char *l)
{
	size_t n = strlen(l);
	char *at;
	int ok = 0;

	while (n && (l[n - 1] == '\r' || l[n - 1] == '\n'))
		l[--n] = 0;
	printf("L2| %s\n", l);
	fflush(stdout);
	at = strstr(l, "@@");
	if (!at)
		return;
	if (!strncmp(at, "@@READY", 7)) {
		g_ready = 1;
	} else if (!strncmp(at, "@@EV ", 5) || !strncmp(at, "@@GAP ", 6)) {
		int is_gap = at[2] == 'G';

		g_events++;
		/* an @@EV wins over an earlier @@GAP seen in the same window */
		if (!g_have_ev || (g_ev_is_gap && !is_gap)) {
			g_have_ev = 1;
			g_ev_is_gap = is_gap;
			g_step = is_gap ? 0 : field_ll(at, "step_ns=", &ok);
			g_mono_gap = field_ll(at, "mono_gap_ns=", &ok);
			g_kgap = is_gap ? 0 : field_ll(at, "kvmclock_gap_ns=", &ok);
			/* arm64 (tools/guest-bare-arm64.c); absent on x86 */
			g_has_step_ticks = 0;
			g_step_ticks = is_gap ? 0 : field_ll(at, "step_ticks=",
							     &g_has_step_ticks);
			g_has_phys = 0;
			if (!is_gap) {
				int has_step = 0, has_err = 0;

				g_phys_step = field_ll(at, "phys_step_ns=", &has_step);
				g_phys_err = field_ll(at, "phys_err_ns=", &has_err);
				g_has_phys = has_step && has_err;
			}
		}
	} else if (!strncmp(at, "@@HB", 4)) {
		g_hb++;
	}
}

static long long json_ts_us(const char *l)
{
	const char *p = strstr(l, "\"timestamp\"");
	long long s = -1, us = 0;

	if (!p)
		return -1;
	const char *a = strstr(p, "\"seconds\"");
	const char *b = strstr(p, "\"microseconds\"");

	if (a)
		sscanf(a, "\"seconds\" : %lld", &s);
	if (b)
		sscanf(b, "\"microseconds\" : %lld", &us);
	if (s < 0)
		return -1;
	return s * 1000000LL + us;
}

static int json_str(const char *l, const char *key, char *out, size_t len)
{
	char k[64];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\"", key);
	p = strstr(l, k);
	if (!p)
		return 0;
	p += strlen(k);
	while (*p == ' ' || *p == ':')
		p++;
	if (*p != '"')
		return 0;
	p++;
	size_t i = 0;

	while (*p && *p != '"' && i + 1 < len)
		out[i++] = *p++;
	out[i] = 0;
	return 1;
}

static void qmp_line(struct qemu *q, char *l)
{
	char ev[64];

	if (strstr(l, "{\"QMP\"")) {
		q->greeted = 1;
		return;
	}
	if (json_str(l, "event", ev, sizeof(ev))) {
		long long ts = json_ts_us(l);

		logm("QMP event %s ts=%lld.%06lld", ev, ts / 1000000, ts % 1000000);
		if (!strcmp(ev, "STOP"))
			e_stop_us = ts;
		else if (!strcmp(ev, "RESUME"))
			e_resume_us = ts;
		else if (!strcmp(ev, "MIGRATION")) {
			const char *d = strstr(l, "\"data\"");

			if (d)
				json_str(d, "status", e_mig_status, sizeof(e_mig_status));
		}
		return;
	}
	if (strstr(l, "\"return\"") || strstr(l, "\"error\"")) {
		const char *p = strstr(l, "\"id\"");
		int id = -1;

		if (p) {
			p += 4;
			while (*p == ' ' || *p == ':')
				p++;
			id = atoi(p);
		}
		q->reply_id = id;
		q->reply_ok = strstr(l, "\"error\"") == NULL;
		snprintf(q->reply, sizeof(q->reply), "%s", l);
		if (!q->reply_ok)
			logm("QMP error reply: %s", l);
	}
}

/* Split a buffer into lines; returns 0 on EOF. */
static int read_lines(int fd, char *buf, size_t *len, size_t cap,
		      void (*fn)(struct qemu *, char *), struct qemu *q)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, cap - 1 - *len);

		if (n < 0)
			return (errno == EAGAIN || errno == EINTR) ? 1 : 0;
		if (n == 0) {
			if (*len) {
				buf[*len] = 0;
				fn(q, buf);
				*len = 0;
			}
			return 0;
		}
		*len += (size_t)n;
		buf[*len] = 0;
		char *s = buf, *nl;

		while ((nl = memchr(s, '\n', *len - (size_t)(s - buf)))) {
			*nl = 0;
			fn(q, s);
			s = nl + 1;
		}
		*len -= (size_t)(s - buf);
		memmove(buf, s, *len);
		if (*len >= cap - 1) {	/* overlong line: flush it */
			buf[*len] = 0;
			fn(q, buf);
			*len = 0;
		}
	}
}

static void guest_cb(struct qemu *q, char *l)
{
	(void)q;
	guest_line(l);
}

/* Process output of q (serial and QMP) for up to timeout_ms. */
static void pump(struct qemu *q, int timeout_ms)
{
	struct pollfd p[2];
	int n = 0;

	if (now() > deadline)
		die("overall timeout");
	if (q->out_fd >= 0)
		p[n++] = (struct pollfd){ .fd = q->out_fd, .events = POLLIN };
	if (q->qmp_fd >= 0)
		p[n++] = (struct pollfd){ .fd = q->qmp_fd, .events = POLLIN };
	if (poll(p, n, timeout_ms) <= 0)
		return;
	for (int i = 0; i < n; i++) {
		if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (p[i].fd == q->out_fd) {
			if (!read_lines(q->out_fd, q->obuf, &q->olen, sizeof(q->obuf),
					guest_cb, q)) {
				close(q->out_fd);
				q->out_fd = -1;
			}
		} else {
			if (!read_lines(q->qmp_fd, q->qbuf, &q->qlen, sizeof(q->qbuf),
					qmp_line, q)) {
				close(q->qmp_fd);
				q->qmp_fd = -1;
			}
		}
	}
}

/* ------------------------------------------------------------------ QEMU */

/* --src-arg: extra arguments of the first source only (not of destinations) */
static char *src_extra[16];
static int n_src_extra;
/* --dst-arg: extra arguments of every destination (not of the first source) */
static char *dst_extra[16];
static int n_dst_extra;

static struct qemu *spawn(const char *bin, char **args, int nargs, int n, int incoming)
{
	struct qemu *q = calloc(1, sizeof(*q));
	char qmparg[160], monarg[64], fifo_in[128], fifo_out[128];
	int pfd[2];
	char **argv = calloc((size_t)nargs + 18 + (size_t)n_src_extra + (size_t)n_dst_extra,
				sizeof(char *));
	int a = 0;

	q->n = n;
	q->qmp_fd = q->qmp_wfd = -1;
	q->next_id = 1;
	q->reply_id = -1;
	if (use_fifo) {
		/* -chardev pipe,path=P uses the FIFOs P.in (to QEMU), P.out */
		snprintf(q->sock, sizeof(q->sock), "/tmp/qmp-%d", n);
		snprintf(fifo_in, sizeof(fifo_in), "%s.in", q->sock);
		snprintf(fifo_out, sizeof(fifo_out), "%s.out", q->sock);
		unlink(fifo_in);
		unlink(fifo_out);
		if (mkfifo(fifo_in, 0600) || mkfifo(fifo_out, 0600))
			die("mkfifo %s: %s", q->sock, strerror(errno));
		/* O_RDWR: never blocks in open, and no EOF if QEMU closes */
		q->qmp_fd = open(fifo_out, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		q->qmp_wfd = open(fifo_in, O_RDWR | O_CLOEXEC);
		if (q->qmp_fd < 0 || q->qmp_wfd < 0)
			die("open QMP FIFOs: %s", strerror(errno));
		snprintf(qmparg, sizeof(qmparg), "pipe,id=qmp%d,path=%s", n, q->sock);
		snprintf(monarg, sizeof(monarg), "chardev=qmp%d,mode=control", n);
	} else {
		snprintf(q->sock, sizeof(q->sock), "/tmp/qmp-%d.sock", n);
		unlink(q->sock);
		snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", q->sock);
	}
	argv[a++] = (char *)bin;
	for (int i = 0; i < nargs; i++)
		argv[a++] = args[i];
	for (int i = 0; !incoming && i < n_src_extra; i++)
		argv[a++] = src_extra[i];
	for (int i = 0; incoming && i < n_dst_extra; i++)
		argv[a++] = dst_extra[i];
	argv[a++] = "-serial";
	argv[a++] = "stdio";
	argv[a++] = "-display";
	argv[a++] = "none";
	argv[a++] = "-monitor";
	argv[a++] = "none";
	argv[a++] = "-nodefaults";
	if (use_fifo) {
		argv[a++] = "-chardev";
		argv[a++] = qmparg;
		argv[a++] = "-mon";
		argv[a++] = monarg;
	} else {
		argv[a++] = "-qmp";
		argv[a++] = qmparg;
	}
	if (incoming) {
		argv[a++] = "-incoming";
		argv[a++] = "defer";
		if (dst_paused)
			argv[a++] = "-S";
	}
	argv[a] = NULL;

	if (pipe2(pfd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	q->pid = fork();
	if (q->pid < 0)
		die("fork: %s", strerror(errno));
	if (q->pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(nul, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execv(bin, argv);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	q->out_fd = pfd[0];
	fcntl(q->out_fd, F_SETFL, O_NONBLOCK);
	track(q);
	logm("started %s qemu #%d pid %d", incoming ? "destination" : "source", n, q->pid);
	free(argv);
	return q;
}

static void qmp_send(struct qemu *q, const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = write(q->qmp_wfd, s, n);

		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("QMP write: %s", strerror(errno));
		}
		s += w;
		n -= (size_t)w;
	}
}

/* Send a command ("execute" + optional arguments JSON); wait for its reply. */
static int qmp_cmd(struct qemu *q, const char *cmd, const char *args, int timeout_s)
{
	char buf[1024];
	int id = q->next_id++;
	double end = now() + timeout_s * tmul;

	if (args)
		snprintf(buf, sizeof(buf),
			 "{\"execute\": \"%s\", \"arguments\": %s, \"id\": %d}\n", cmd, args, id);
	else
		snprintf(buf, sizeof(buf), "{\"execute\": \"%s\", \"id\": %d}\n", cmd, id);
	qmp_send(q, buf);
	while (q->reply_id != id) {
		if (now() > end)
			die("no QMP reply to %s", cmd);
		if (q->qmp_fd < 0)
			die("QMP connection closed waiting for %s", cmd);
		pump(q, 200);
	}
	return q->reply_ok;
}

static void qmp_connect(struct qemu *q)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double end = now() + 30 * tmul;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", q->sock);
	while (!use_fifo) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			q->qmp_fd = q->qmp_wfd = fd;
			break;
		}
		close(fd);
		if (now() > end)
			die("cannot connect to %s", q->sock);
		pump(q, 50);	/* keeps echoing output; also detects early exit */
		if (q->out_fd < 0 && waitpid(q->pid, NULL, WNOHANG) == q->pid) {
			q->pid = -1;
			die("qemu #%d exited before QMP was up", q->n);
		}
	}
	fcntl(q->qmp_fd, F_SETFL, O_NONBLOCK);
	/* greeting: {"QMP": {...}} */
	while (!q->greeted) {
		if (now() > end)
			die("no QMP greeting from qemu #%d", q->n);
		if (q->qmp_fd < 0)
			die("QMP connection to qemu #%d closed", q->n);
		if (q->out_fd < 0 && waitpid(q->pid, NULL, WNOHANG) == q->pid) {
			q->pid = -1;
			die("qemu #%d exited before QMP was up", q->n);
		}
		pump(q, 100);
	}
	if (!qmp_cmd(q, "qmp_capabilities", NULL, 10))
		die("qmp_capabilities failed");
	qmp_cmd(q, "migrate-set-capabilities",
		"{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}", 10);
}

static void reap(struct qemu *q, int timeout_s)
{
	double end = now() + timeout_s;

	while (q->pid > 0) {
		int st;
		pid_t r = waitpid(q->pid, &st, WNOHANG);

		if (r == q->pid) {
			logm("qemu #%d exited (status 0x%x)", q->n, st);
			q->pid = -1;
			break;
		}
		if (now() > end) {
			logm("qemu #%d did not exit; killing", q->n);
			kill(q->pid, SIGKILL);
			waitpid(q->pid, NULL, 0);
			q->pid = -1;
			break;
		}
		pump(q, 100);
	}
	/* drain remaining output */
	while (q->out_fd >= 0)
		pump(q, 100);
	if (q->qmp_fd >= 0)
		close(q->qmp_fd);
	if (q->qmp_wfd >= 0 && q->qmp_wfd != q->qmp_fd)
		close(q->qmp_wfd);
	q->qmp_fd = q->qmp_wfd = -1;
	if (use_fifo) {
		char p[160];

		snprintf(p, sizeof(p), "%s.in", q->sock);
		unlink(p);
		snprintf(p, sizeof(p), "%s.out", q->sock);
		unlink(p);
	} else {
		unlink(q->sock);
	}
}

static void wait_for(struct qemu *q, int *flag, double timeout_s, const char *what)
{
	double end = now() + timeout_s * tmul;

	while (!*flag) {
		if (now() > end)
			die("timeout waiting for %s", what);
		if (q->out_fd < 0)
			die("qemu #%d went away waiting for %s", q->n, what);
		pump(q, 200);
	}
}

static void run_for(struct qemu *q, double s)
{
	double end = now() + s;

	while (now() < end)
		pump(q, (int)((end - now()) * 1000) + 1);
}

/* ------------------------------------------------------------------- main */

static void usage(void)
{
	fprintf(stderr,
		"usage: qemu-mig --qemu PATH [--qemu-dst PATH] --policy NAME --runs N\n"
		"                --out CSV [--timeout S] [--slow F] [--dst-paused] [--state FILE]\n"
		"                [--uri-save URI --uri-load URI] [--src-arg ARG]...\n"
		"                [--dst-arg ARG]...\n"
		"                -- <qemu args...>\n"
		"default URIs: file:<state>, state default /tmp/mig-state\n");
	exit(2);
}

struct result {
	long long downtime, step, mono_gap, kgap, step_ticks, phys_step, phys_err;
	int has_step_ticks, has_phys;
	long events;
	int ok, is_gap;
};

int main(int argc, char **argv)
{
	const char *qemu = NULL, *qemu_dst = NULL, *policy = NULL, *out = NULL;
	const char *uri_save = NULL, *uri_load = NULL;
	int runs = 0, timeout = 600, i;
	char **qargs = NULL;
	int nq = 0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			qargs = argv + i + 1;
			nq = argc - i - 1;
			break;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--qemu"))
			qemu = argv[++i];
		else if (!strcmp(argv[i], "--qemu-dst"))
			qemu_dst = argv[++i];
		else if (!strcmp(argv[i], "--policy"))
			policy = argv[++i];
		else if (!strcmp(argv[i], "--runs"))
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--out"))
			out = argv[++i];
		else if (!strcmp(argv[i], "--timeout"))
			timeout = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--slow"))
			tmul = atof(argv[++i]);
		else if (!strcmp(argv[i], "--state"))
			state_file = argv[++i];
		else if (!strcmp(argv[i], "--uri-save"))
			uri_save = argv[++i];
		else if (!strcmp(argv[i], "--uri-load"))
			uri_load = argv[++i];
		else if (!strcmp(argv[i], "--dst-paused"))
			dst_paused = 1;
		else if (!strcmp(argv[i], "--dst-arg") &&
			 n_dst_extra < (int)(sizeof(dst_extra) / sizeof(dst_extra[0])))
			dst_extra[n_dst_extra++] = argv[++i];
		else if (!strcmp(argv[i], "--src-arg") &&
			 n_src_extra < (int)(sizeof(src_extra) / sizeof(src_extra[0])))
			src_extra[n_src_extra++] = argv[++i];
		else
			usage();
	}
	if (!qemu || !policy || !out || runs <= 0 || !qargs || !(tmul >= 1))
		usage();
	if (!qemu_dst)
		qemu_dst = qemu;

	/* no AF_UNIX in the kernel (e.g. a minimal L1): QMP over FIFOs */
	int probe = socket(AF_UNIX, SOCK_STREAM, 0);

	if (probe < 0) {
		use_fifo = 1;
	} else {
		close(probe);
		use_fifo = getenv("QEMU_MIG_FIFO") != NULL;
	}
	t_start = now();
	deadline = t_start + timeout;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	atexit(kill_children);
	setvbuf(stdout, NULL, _IOLBF, 0);

	struct result *res = calloc((size_t)runs + 1, sizeof(*res));
	char uri[512], uri_in[512];
	long events_prev = 0;
	int failed = 0;

	if (uri_save)
		snprintf(uri, sizeof(uri), "{\"uri\": \"%s\"}", uri_save);
	else
		snprintf(uri, sizeof(uri), "{\"uri\": \"file:%s\"}", state_file);
	if (uri_load)
		snprintf(uri_in, sizeof(uri_in), "{\"uri\": \"%s\"}", uri_load);
	else
		snprintf(uri_in, sizeof(uri_in), "{\"uri\": \"file:%s\"}", state_file);

	logm("policy %s, %d runs, QMP over %s", policy, runs,
	     use_fifo ? "FIFOs (-chardev pipe)" : "unix sockets");

	struct qemu *src = spawn(qemu, qargs, nq, 0, 0);

	cur = src;
	qmp_connect(src);
	wait_for(src, &g_ready, 120, "@@READY");
	logm("PHASE guest ready (L2 boot) after %.2f s", now() - t_start);
	run_for(src, 1.0);

	for (int k = 1; k <= runs; k++) {
		double t0 = now(), t1, t2, t3;
		int done = 0;

		logm("migration %d: start", k);
		unlink(state_file);
		e_stop_us = -1;
		e_mig_status[0] = 0;
		if (!qmp_cmd(src, "migrate", uri, 30))
			die("migrate command failed");
		for (double next_q = now() + 0.25; !done;) {
			if (now() - t0 > 300)
				die("migration %d did not complete", k);
			pump(src, 100);
			if (!strcmp(e_mig_status, "completed"))
				done = 1;
			else if (!strcmp(e_mig_status, "failed") ||
				 !strcmp(e_mig_status, "cancelled"))
				die("migration %d %s", k, e_mig_status);
			if (!done && now() > next_q) {
				qmp_cmd(src, "query-migrate", NULL, 10);
				char st[64] = "";

				json_str(src->reply, "status", st, sizeof(st));
				if (!strcmp(st, "completed"))
					done = 1;
				else if (!strcmp(st, "failed"))
					die("migration %d failed: %s", k, src->reply);
				next_q = now() + 0.25;
			}
		}
		/* the STOP event precedes completion, but allow it to trail */
		for (double end = now() + 5; e_stop_us < 0 && now() < end;)
			pump(src, 100);
		if (e_stop_us < 0)
			die("no STOP event from source in migration %d", k);
		long long stop_us = e_stop_us;

		t1 = now();
		qmp_cmd(src, "quit", NULL, 10);
		reap(src, 20);

		e_resume_us = -1;
		g_have_ev = 0;
		struct qemu *dst = spawn(qemu_dst, qargs, nq, k, 1);

		cur = dst;
		qmp_connect(dst);
		e_mig_status[0] = 0;
		if (!qmp_cmd(dst, "migrate-incoming", uri_in, 30))
			die("migrate-incoming failed");
		if (dst_paused) {
			for (double end = now() + 120 * tmul;
			     strcmp(e_mig_status, "completed");) {
				if (now() > end)
					die("incoming migration %d did not complete", k);
				if (!strcmp(e_mig_status, "failed"))
					die("incoming migration %d failed", k);
				if (dst->qmp_fd < 0)
					die("destination QMP closed in migration %d", k);
				if (dst->out_fd < 0 &&
				    waitpid(dst->pid, NULL, WNOHANG) == dst->pid) {
					dst->pid = -1;
					die("destination exited in migration %d", k);
				}
				pump(dst, 200);
			}
			if (!qmp_cmd(dst, "human-monitor-command",
				     "{\"command-line\": \"info registers\"}", 30))
				die("info registers failed: %s", dst->reply);
			logm("migration %d: destination paused, CPU state read, cont", k);
			if (!qmp_cmd(dst, "cont", NULL, 30))
				die("cont failed: %s", dst->reply);
		}
		for (double end = now() + 120 * tmul; e_resume_us < 0;) {
			if (now() > end)
				die("no RESUME on destination in migration %d", k);
			if (dst->qmp_fd < 0)
				die("destination QMP closed in migration %d", k);
			pump(dst, 200);
		}
		t2 = now();

		struct result *r = &res[k];

		r->downtime = (e_resume_us - stop_us) * 1000LL;
		/* wait for the guest's clock event */
		for (double end = now() + 30 * tmul; !g_have_ev && now() < end;)
			pump(dst, 200);
		/* an @@GAP might precede an @@EV: give the EV a moment */
		if (g_have_ev && g_ev_is_gap)
			run_for(dst, 3.0);
		t3 = now();
		if (g_have_ev) {
			r->ok = 1;
			r->is_gap = g_ev_is_gap;
			r->step = g_step;
			r->mono_gap = g_mono_gap;
			r->kgap = g_kgap;
			r->step_ticks = g_step_ticks;
			r->has_step_ticks = g_has_step_ticks;
			r->phys_step = g_phys_step;
			r->phys_err = g_phys_err;
			r->has_phys = g_has_phys;
		} else {
			logm("migration %d: no @@EV/@@GAP from guest within %.0f s", k, 30 * tmul);
			failed = 1;
		}
		r->events = g_events - events_prev;
		events_prev = g_events;
		printf("@@MIG k=%d downtime_ns=%lld step_ns=%lld mono_gap_ns=%lld "
		       "jump_minus_downtime_ns=%lld events=%ld%s\n",
		       k, r->downtime, r->step, r->mono_gap,
		       r->mono_gap - r->downtime, r->events,
		       !r->ok ? " (no-event)" : r->is_gap ? " (gap)" : "");
		logm("PHASE migration %d: save %.2f s, restore+resume %.2f s, "
		     "guest event %.2f s, total %.2f s", k, t1 - t0, t2 - t1, t3 - t2, t3 - t0);

		/* a second of guest life (and a heartbeat) before the next one */
		long hb0 = g_hb;
		double end = now() + 10;

		run_for(dst, 1.0);
		while (g_hb == hb0 && now() < end)
			pump(dst, 200);
		src = dst;
	}

	FILE *f = fopen(out, "w");

	if (!f)
		die("cannot write %s: %s", out, strerror(errno));
	/*
	 * ok: the guest reported after the migration; gap: only as an
	 * @@GAP (its kvmclock page was not rewritten), so step_ns measured
	 * nothing.
	 */
	fprintf(f, "policy,k,downtime_ns,step_ns,mono_gap_ns,kvmclock_gap_ns,events,ok,gap,"
		"step_ticks,phys_step_ns,phys_err_ns\n");
	/* The last three: empty when the guest did not report them (x86). */
	for (int k = 1; k <= runs; k++) {
		fprintf(f, "%s,%d,%lld,%lld,%lld,%lld,%ld,%d,%d,", policy, k,
			res[k].downtime, res[k].step, res[k].mono_gap,
			res[k].kgap, res[k].events, res[k].ok, res[k].is_gap);
		if (res[k].has_step_ticks)
			fprintf(f, "%lld", res[k].step_ticks);
		fprintf(f, ",");
		if (res[k].has_phys)
			fprintf(f, "%lld,%lld", res[k].phys_step, res[k].phys_err);
		else
			fprintf(f, ",");
		fprintf(f, "\n");
	}
	fclose(f);

	qmp_cmd(src, "quit", NULL, 10);
	reap(src, 20);
	unlink(state_file);
	if (failed) {
		logm("FAIL: not every migration produced a guest clock event");
		return 1;
	}
	logm("all %d migrations completed with a guest event", runs);
	return 0;
}
