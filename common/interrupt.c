/* A stop asked by a signal, noted by the handler and acted on by the loops (interrupt.h). */
#include "interrupt.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "banned.h"

static volatile sig_atomic_t received, installed;

static void on_signal(int sig)
{
	if (!received)
		received = sig;
}

void pb_interrupt_install(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a sleep or a wait ends early, and the loop around it looks at the flag. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue; /* nohup, or a background job's SIGINT: keep ignoring it */
		sigaction(sigs[i], &sa, NULL);
	}
	installed = 1;
}

int pb_interrupt_installed(void)
{
	return installed;
}

int pb_interrupted(void)
{
	return received;
}

const char *pb_interrupt_reason(void)
{
	switch (received) {
	case 0:
		return NULL;
	case SIGINT:
		return "interrupted by SIGINT";
	case SIGHUP:
		return "interrupted by SIGHUP";
	default:
		return "interrupted by SIGTERM";
	}
}

int pb_interrupt_check(struct pb_buf *err)
{
	if (!received)
		return 0;
	pb_buf_reset(err);
	pb_buf_addstr(err, pb_interrupt_reason());
	return -1;
}

void pb_interrupt_exit(void)
{
	int sig = received;

	if (!sig)
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}
