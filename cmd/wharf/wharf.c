/*
 * wharf: the command users type. It only chooses which program runs the
 * command line, and execs it in its own place with the same argv and
 * environment:
 *
 *   wharf-front (cmd/wharf-front) for the few commands it answers itself
 *     (--version, ps, inspect, exec), which it hands on to wharf-cli in
 *     turn when it does not model a flag or setting;
 *   wharf-cli (cmd/wharf-cli, docker's whole command tree) for all else.
 *
 * Both are found beside this program (the directory of /proc/self/exe).
 *
 * Why C: every Go program pays the Go runtime's start (~8 ms on a small
 * VM) before main, so a Go program in front of wharf-cli added that much
 * to every command it handed on. This one costs an execve of a small
 * static binary. It looks at argv and the environment's names only, and
 * in any doubtful case picks wharf-cli, which is always right: a wrong
 * choice of wharf-front is right too (it hands on), only slower.
 *
 * argv[0] is passed on unchanged, as the Go front did: wharf-cli names
 * itself "wharf" in usage and errors whatever argv[0] is, and docker's
 * plugin code sees the same command as before.
 */
#define _GNU_SOURCE /* memrchr */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

/*
 * front_command: argv names a command wharf-front answers, as its package
 * route decides (route.Command): `--version` or `-v` alone, or ps,
 * inspect, exec, or container ls|ps|list|inspect|exec first. Global flags
 * before the command (-H, --context, -D...) go to wharf-cli.
 */
static int front_command(int argc, char **argv)
{
	if (argc == 2 && (is(argv[1], "--version") || is(argv[1], "-v")))
		return 1;
	if (argc >= 2 && (is(argv[1], "ps") || is(argv[1], "inspect") || is(argv[1], "exec")))
		return 1;
	if (argc >= 3 && is(argv[1], "container"))
		return is(argv[2], "ls") || is(argv[2], "ps") || is(argv[2], "list") ||
		       is(argv[2], "inspect") || is(argv[2], "exec");
	return 0;
}

/*
 * front_env: the environment is one the front models (route.Env): no
 * DOCKER_* variable but DOCKER_HOST and DOCKER_CONFIG (a context, TLS, an
 * API version...), no OTEL_* variable. The rest route.Env checks itself.
 */
static int front_env(void)
{
	for (char **e = environ; *e != NULL; e++) {
		if (strncmp(*e, "OTEL_", 5) == 0)
			return 0;
		if (strncmp(*e, "DOCKER_", 7) == 0 &&
		    strncmp(*e, "DOCKER_HOST=", 12) != 0 && strncmp(*e, "DOCKER_CONFIG=", 14) != 0)
			return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	/* This program's directory, with room for either name after it. */
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof "wharf-front");
	char *slash = n > 0 ? memrchr(path, '/', (size_t)n) : NULL;
	if (slash == NULL) {
		fprintf(stderr, "wharf: cannot find its own directory (/proc/self/exe): %s\n",
			n < 0 ? strerror(errno) : "no directory");
		return 1;
	}
	if (front_command(argc, argv) && front_env()) {
		strcpy(slash + 1, "wharf-front");
		execv(path, argv);
		/* No front: wharf-cli answers everything the front does. */
	}
	strcpy(slash + 1, "wharf-cli");
	execv(path, argv);
	fprintf(stderr, "wharf: docker's command tree, wharf-cli, must be installed beside wharf "
			"(make build builds it, make install installs it): exec %s: %s\n",
		path, strerror(errno));
	return 1;
}
