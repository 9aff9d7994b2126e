/*
 * SIGINT, SIGTERM and SIGHUP as a request to stop: the handler only notes the signal, and the long loops
 * (every read of an input, a download, the rows sent by COPY, the store's commit) look at it and fail the run
 * the ordinary way, so that nothing half-done is committed and the run is recorded failed. The program then
 * ends by the signal itself (pb_interrupt_exit), as its caller expects of a program that was interrupted.
 */
#ifndef PB_INTERRUPT_H
#define PB_INTERRUPT_H

#include "buf.h"

/* Installs the handler for SIGINT, SIGTERM and SIGHUP (a signal ignored at the start stays ignored). */
void pb_interrupt_install(void);

/* 1 once pb_interrupt_install ran: a signal then asks to stop rather than ending the program. */
int pb_interrupt_installed(void);

/* The signal received since the install, or 0. Safe from any thread. */
int pb_interrupted(void);

/* "interrupted by SIGTERM" (or SIGINT, SIGHUP), or NULL when no signal came. */
const char *pb_interrupt_reason(void);

/* When a signal came: err = its reason ("interrupted by SIGTERM", replacing what err held) and -1. Else 0. */
int pb_interrupt_check(struct pb_buf *err);

/* When a signal came: ends the process by it, with the default action restored. Else returns. */
void pb_interrupt_exit(void);

#endif
