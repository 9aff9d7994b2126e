/* The zero-config local PostgreSQL cluster under VAR/pg: Unix socket only, run as postgres when root. */
#ifndef PB_CLUSTER_H
#define PB_CLUSTER_H

#include "buf.h"

/*
 * Results of pb_cluster_status. PB_CLUSTER_STALE: stopped, but a server that was killed left postmaster.pid
 * naming a process that is not it (its number reused), which pg_ctl and the server take for a live server;
 * pb_cluster_start removes that file and the socket's lock file, and starts. PB_CLUSTER_STALE_EMPTY: stopped,
 * and postmaster.pid holds no process number (a crash while the server started), which pg_ctl and the server
 * refuse; pb_cluster_start removes it (and such a socket lock file) once no process works in the data folder.
 * PB_CLUSTER_NO_PID_FILE: a server runs in the data folder, on its socket, but its postmaster.pid was removed
 * under it, so pg_ctl takes it for stopped; the server stops itself when it next looks for the file (a minute
 * at most). pb_cluster_start refuses to start a second one on the data folder; pb_cluster_stop stops it.
 */
enum {
	PB_CLUSTER_RUNNING = 0,
	PB_CLUSTER_STOPPED = 1,
	PB_CLUSTER_ABSENT = 2,
	PB_CLUSTER_STALE = 3,
	PB_CLUSTER_STALE_EMPTY = 4,
	PB_CLUSTER_NO_PID_FILE = 5
};

/* The folder holding initdb, pg_ctl and psql: PB_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin. */
int pb_cluster_bindir(char *out, size_t n, struct pb_buf *err);
/*
 * Creates the cluster in var/pg (initdb: superuser pb, trust over the socket only, UTF-8, no TCP
 * listener). Returns 0, 1 when it exists already, or -1 with a message in err.
 */
int pb_cluster_init(const char *var, struct pb_buf *err);
/* Starts the server and waits until it takes connections; creates the partnerbill database. 0 or -1. */
int pb_cluster_start(const char *var, struct pb_buf *err);
/*
 * Stops the server (fast shutdown) and waits. 0, or -1. Stopping a stopped cluster is not an error; a cluster
 * that is not there (var, or its pg, missing) is.
 */
int pb_cluster_stop(const char *var, struct pb_buf *err);
/* PB_CLUSTER_RUNNING, _STOPPED, _STALE, _STALE_EMPTY, _NO_PID_FILE or _ABSENT; -1 on failure. */
int pb_cluster_status(const char *var, struct pb_buf *err);
/*
 * Appends to out, for the cluster in var/pg in state PB_CLUSTER_NO_PID_FILE, "server process N runs in 'DATA'
 * without its postmaster.pid, which was removed under it" (without the number when it is gone meanwhile).
 */
void pb_cluster_no_pid_file(const char *var, struct pb_buf *out);
/*
 * Appends the folder of the cluster's socket, var/pg/run, as the server is started on it and libpq is to reach
 * it: with var resolved (abs, its realpath) when the socket's path fits in a socket address (sun_path, 107
 * bytes), else with var as given when that fits (a deep folder reached through a short link: the system follows
 * the link, the length counted is the path's as written), else resolved. var as given is made absolute from the
 * current folder as the shell names it ($PWD, when it is that folder), links kept.
 */
void pb_cluster_socket_dir(const char *var, const char *abs, struct pb_buf *out);

#endif
