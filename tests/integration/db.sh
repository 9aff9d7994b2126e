#!/usr/bin/env bash
# Integration tests of pb-db psql against a throwaway PostgreSQL cluster whose role needs a password: psql gets
# the connection settings in its environment, and its command line (/proc/PID/cmdline, what ps shows every user
# of the machine) never holds the password. The cluster is stopped whatever happens.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
PBDB=$BIN/pb-db

pb_test_tmp db
cleanup() {
	[ -n "${PSQL_PID:-}" ] && kill -9 "$PSQL_PID" 2>/dev/null
	[ -n "${SLEEPER_PID:-}" ] && kill "$SLEEPER_PID" 2>/dev/null
	[ -d "$TMP/small/full" ] && PB_VAR_DIR=$TMP/small/full "$PBDB" stop >/dev/null 2>&1
	[ -L "$TMP/s" ] && PB_VAR_DIR=$TMP/s "$PBDB" stop >/dev/null 2>&1
	mountpoint -q "$TMP/small" 2>/dev/null && umount "$TMP/small"
	mountpoint -q "$TMP/ro" 2>/dev/null && umount "$TMP/ro"
	pb_test_cleanup
}
pb_on_exit cleanup
pb_test_cluster_start --no-migrate
ok "start a throwaway cluster"

# A background command signalled before it has started its program is still a copy of the suite's shell, and
# dies running the shell's EXIT trap: it stopped the suite's cluster and removed its folder under it (prices.sh
# in CI, its pause seen in a log a run before had left). The trap acts only in the suite's own shell.
for _ in 1 2 3 4 5; do
	PB_X=1 sleep 5 >"$TMP/bg.out" 2>"$TMP/bg.err" &
	kill -TERM $!
	wait $! 2>/dev/null
done
check "a background command signalled before its program starts: the suite's cluster and folder stay" \
	"1|yes" "$(pb_sql "SELECT 1")|$([ -d "$TMP" ] && echo yes)"

SOCK=$TMP/var/pg/run
PW="pw-Secret-$$-x'y"
PWSQL=${PW//\'/\'\'}
# A role that must give its password over the socket (scram-sha-256), ahead of the cluster's trust rule.
HBA=$TMP/var/pg/data/pg_hba.conf
# pg_reload_conf() only signals the server: the rule is in force once the server says it reloaded (it is one
# process, and loads the rules before it takes the next connection), not after a fixed half second.
reloads() { grep -c "received SIGHUP, reloading configuration files" "$TMP/var/pg/server.log"; }
reloads0=$(reloads)
if pb_sql "CREATE ROLE pwuser LOGIN PASSWORD '$PWSQL'" >/dev/null &&
	{ printf 'local all pwuser scram-sha-256\n'; cat "$HBA"; } >"$TMP/hba" && cat "$TMP/hba" >"$HBA" &&
	[ "$(pb_sql 'SELECT pg_reload_conf()')" == t ]; then
	ok "a role that needs a password"
else
	notok "a role that needs a password"
fi
reloaded() { [ "$(reloads)" -gt "$reloads0" ]; }
pb_until 120 reloaded || notok "the server reloads its configuration" "$(tail "$TMP/var/pg/server.log")"

# The role is refused without its password: the tests below do use it.
PB_DATABASE_URL="host=$SOCK port=5432 user=pwuser dbname=partnerbill" "$PBDB" psql -X -w -A -t -c 'SELECT 1' \
	>"$TMP/out" 2>"$TMP/err"
if [ $? -ne 0 ] && grep -q 'password' "$TMP/err"; then
	ok "without the password the role is refused"
else
	notok "without the password the role is refused" "$(cat "$TMP/out" "$TMP/err")"
fi

# argv_during NAME CONNINFO: runs pb-db psql on CONNINFO (PB_DATABASE_URL) for a two-second query and checks
# that it connected as pwuser and that psql's command line, read while it runs, holds no part of the password.
argv_during() {
	local name=$1 cmdline="" comm
	PB_DATABASE_URL=$2 "$PBDB" psql -X -w -A -t -c 'SELECT current_user, pg_sleep(2)' >"$TMP/out" 2>"$TMP/err" &
	PSQL_PID=$!
	# pb-db execs psql: the same process, once its name is psql (60 s at most, or until it ends).
	local end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ] && kill -0 "$PSQL_PID" 2>/dev/null; do
		comm=$(cat "/proc/$PSQL_PID/comm" 2>/dev/null)
		if [ "$comm" == psql ]; then
			cmdline=$(tr '\0' ' ' <"/proc/$PSQL_PID/cmdline")
			break
		fi
		sleep 0.02
	done
	wait "$PSQL_PID"
	local st=$?
	PSQL_PID=
	if [ "$st" -eq 0 ] && [ "$(cat "$TMP/out")" == "pwuser|" ] && [ -n "$cmdline" ] &&
		! grep -qF -e "$PW" -e "pw-Secret" <<<"$cmdline"; then
		ok "$name"
	else
		notok "$name" "status $st, psql's argv: '$cmdline'; $(cat "$TMP/out" "$TMP/err")"
	fi
}
argv_during "a keyword=value string: psql connects, its command line holds no password" \
	"host=$SOCK port=5432 user=pwuser dbname=partnerbill password='${PW//\'/\\\'}'"
ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$PW")
argv_during "a URI with the password in it: psql connects, its command line holds no password" \
	"postgresql://pwuser:$ENC@/partnerbill?host=$SOCK&port=5432"
argv_during "a setting with no variable (keepalives) stays on the command line, the password does not" \
	"host=$SOCK port=5432 user=pwuser dbname=partnerbill keepalives=1 password='${PW//\'/\\\'}'"

# pb-api --database with a password in it: ps (/proc/PID/cmdline, readable by every user) shows the option's
# value written over once pb-api has copied it, the password nowhere; pb-api still connects with it.
"$BIN/pb-api" --port 0 --database "host=$SOCK port=5432 user=pwuser dbname=partnerbill password='${PW//\'/\\\'}'" \
	>"$TMP/api.log" 2>&1 &
API_PID=$!
cmdline=
api_up() { grep -q 'listening on' "$TMP/api.log" 2>/dev/null || ! kill -0 "$API_PID" 2>/dev/null; }
pb_until 120 api_up && cmdline=$(tr '\0' ' ' <"/proc/$API_PID/cmdline" 2>/dev/null)
kill "$API_PID" 2>/dev/null
wait "$API_PID" 2>/dev/null
API_PID=
check "pb-api --database with a password: it serves, and its command line then holds no part of the password" \
	"listening|" "$([ -n "$cmdline" ] && echo listening)|$(grep -F -e "$PW" -e "pw-Secret" -e "$ENC" <<<"$cmdline")"

# A connection refused names the database it tried, its password hidden, and says what to check.
PB_DATABASE_URL="host=$SOCK port=5432 user=pwuser dbname=partnerbill password=wrong-S3cr3t" "$BIN/pb-accounts" list \
	>"$TMP/out" 2>"$TMP/err"
check "a wrong password: exit 3, the database named without the password, what to check" \
	"3|pb-accounts: cannot connect to the database: connection to server on socket \"$SOCK/.s.PGSQL.5432\" failed: FATAL:  password authentication failed for user \"pwuser\" (PB_DATABASE_URL is 'user=pwuser password=*** dbname=partnerbill host=$SOCK port=5432': check that its server runs and takes its user, password and database)" \
	"$?|$(cat "$TMP/err")"
PB_DATABASE_URL="postgresql://pb:S3cr3t@/nosuch?host=$SOCK" "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
check "a database that does not exist: exit 3, named, the password hidden" \
	"3|pb-db: cannot connect to the database: connection to server on socket \"$SOCK/.s.PGSQL.5432\" failed: FATAL:  database \"nosuch\" does not exist (PB_DATABASE_URL is 'user=pb password=*** dbname=nosuch host=$SOCK': check that its server runs and takes its user, password and database)" \
	"$?|$(cat "$TMP/err")"

# A dbname that is itself a connection string or URI: libpq does not expand one inside another, but takes it for
# a database's name, which the messages showed whole, password included: ours ("PB_DATABASE_URL is
# 'dbname=postgresql://pb:S3cr3t@...'") and the server's ("database ... does not exist"). So too PGDATABASE.
# Every program refuses it now, showing none of it (pb-db psql with exit 2, the others 3); pb-api also hides such
# a --database from its command line, as one with a password.
nested="host=$SOCK port=5432 user=pb dbname=postgresql://pb:S3cr3t@localhost/partnerbill"
nested_why="the dbname of PB_DATABASE_URL is itself a connection string or URI, which libpq does not expand but takes for a database's name (the server's messages would show it, a password with it): give its settings in PB_DATABASE_URL itself"
: >"$TMP/nested"
for cmd in "$PBDB status" "$PBDB psql -X -c SELECT" "$BIN/pb-ingest --history" "$BIN/pb-run --history"; do
	# shellcheck disable=SC2086 # the program and its arguments
	PB_DATABASE_URL=$nested $cmd >>"$TMP/nested" 2>&1
	echo "exit $?" >>"$TMP/nested"
done
# (A pb-api that took it would serve on: its time is bounded.)
timeout 60 "$BIN/pb-api" --port 0 --database "$nested" >>"$TMP/nested" 2>&1
echo "exit $?" >>"$TMP/nested"
env -u PB_DATABASE_URL PGHOST="$SOCK" PGDATABASE="postgresql://pb:S3cr3t@localhost/partnerbill" "$BIN/pb-accounts" \
	list >>"$TMP/nested" 2>&1
echo "exit $?" >>"$TMP/nested"
check "a dbname that is a connection string (PB_DATABASE_URL, --database, PGDATABASE): refused unshown by every program" \
	"pb-db: cannot connect to the database: $nested_why
exit 3
pb-db: psql: $nested_why
exit 2
pb-ingest: cannot connect to the database: $nested_why
exit 3
pb-run: cannot connect to the database: $nested_why
exit 3
pb-api: cannot connect to the database: ${nested_why//PB_DATABASE_URL/--database (or PB_DATABASE_URL)}
exit 3
pb-accounts: cannot connect to the database: PGDATABASE is a connection string or URI, which libpq does not expand but takes for a database's name (the server's messages would show it, a password with it): set PB_DATABASE_URL to it instead
exit 3" \
	"$(cat "$TMP/nested")"

# A URI without user information whose parameters hold a '/' and then an '@' (a socket folder, then a user or an
# application_name with an '@') is valid: libpq reads no database's name from the parameters. It was refused as
# one whose password held an '@'. A program connects (and finds the schema not yet migrated), and so does psql.
url="postgresql://?host=$SOCK&user=pb&dbname=partnerbill&application_name=billing@night"
PB_DATABASE_URL=$url "$BIN/pb-accounts" list >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "a URI with a '/' then an '@' in its parameters: the programs and psql connect" \
	"3|pb-accounts: the database schema is at version 0; this program needs N: run 'pb-db migrate'|pb|billing@night" \
	"$st2|$(sed 's/needs [0-9]*:/needs N:/' "$TMP/err2")|$(PB_DATABASE_URL=$url "$PBDB" psql -X -A -t -F'|' -c 'SELECT current_user, current_setting($$application_name$$)' 2>&1)"

PB_DATABASE_URL="host=$SOCK user=pwuser dbname=partnerbill sslpassword=abc" "$PBDB" psql -X -c 'SELECT 1' \
	>"$TMP/out" 2>"$TMP/err"
check "a secret with no variable (sslpassword) is refused, exit 2" \
	"2|pb-db: psql: the connection string sets sslpassword, which psql could only get on its command line" \
	"$?|$(cat "$TMP/err")"

# The local cluster as before (no PB_DATABASE_URL): the settings go the same way.
check "the local cluster: pb-db psql runs there" "pb" "$("$PBDB" psql -X -A -t -c 'SELECT current_user')"
# It keeps no WAL for replication or archiving: an import's table, made in its transaction, is written
# without WAL and synced at commit (man pb-db).
check "the local cluster: wal_level minimal, no WAL senders" "minimal|0" \
	"$("$PBDB" psql -X -A -t -c 'SHOW wal_level')|$("$PBDB" psql -X -A -t -c 'SHOW max_wal_senders')"

# Settings under which the programs cannot keep their promises are refused at connection, naming them: a
# database that is not UTF-8 (a name with '–' would fail at COPY, with no position in the file) and
# session_replication_role = replica (the triggers that guard frozen months and notify pb-api never fire).
pb_sql "CREATE DATABASE latin1db ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" >/dev/null
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=latin1db" "$PBDB" migrate >"$TMP/out" 2>&1
check "a LATIN1 database: migrate refuses it, exit 3, saying why" \
	"3|pb-db: database latin1db is encoded LATIN1: partnerbill stores UTF-8 text and needs a UTF8 database" \
	"$?|$(cat "$TMP/out")"
PGOPTIONS="-c session_replication_role=replica" "$PBDB" migrate >"$TMP/out" 2>&1
check "session_replication_role = replica: refused, exit 3, saying why" \
	"3|pb-db: the session's session_replication_role is 'replica', under which partnerbill's triggers do not run: set it to 'origin' for this role and database" \
	"$?|$(cat "$TMP/out")"
# The local cluster runs but refuses the session (a PGOPTIONS it does not know): the hint was to start it.
PGOPTIONS="-c nosuch=1" "$PBDB" migrate >"$TMP/out" 2>&1
check "the local cluster refuses the session: exit 3, the PG* variables named, not 'pb-db start'" \
	"3|yes|(the local cluster in '$TMP/var/pg' runs and refused the session: check the PG* variables, PGOPTIONS among them)" \
	"$?|$(grep -q 'FATAL:  unrecognized configuration parameter "nosuch"' "$TMP/out" && echo yes)|$(grep -o '(the local cluster.*)$' "$TMP/out")"
# A PG* variable whose value libpq refuses before the server answers (PGCONNECT_TIMEOUT=abc, PGSSLMODE=bogus): the
# hint was to start the cluster, which runs.
PGCONNECT_TIMEOUT=abc "$PBDB" migrate >"$TMP/out" 2>&1
st=$?
PGSSLMODE=bogus "$PBDB" migrate >"$TMP/out2" 2>&1
st2=$?
check "a PG* variable libpq refuses: exit 3, the variables named, not 'pb-db start'" \
	"3|yes|(the local cluster in '$TMP/var/pg': libpq refused a setting before reaching it: check the PG* variables)|3|pb-db: cannot connect to the database: invalid sslmode value: \"bogus\" (the local cluster in '$TMP/var/pg': libpq refused a setting before reaching it: check the PG* variables)" \
	"$st|$(grep -q 'invalid integer value "abc" for connection option "connect_timeout"' "$TMP/out" && echo yes)|$(grep -o '(the local cluster.*)$' "$TMP/out")|$st2|$(cat "$TMP/out2")"

# A schema pb that another application made (objects, no pb.schema_migrations) is not adopted: migrate
# refuses, naming it, and adds nothing to it.
pb_sql "CREATE DATABASE otherapp" >/dev/null
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=otherapp" "$PBDB" psql -X -q -c 'CREATE SCHEMA pb' \
	-c 'CREATE TABLE pb.invoice (id int)' >/dev/null 2>&1
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=otherapp" "$PBDB" migrate >"$TMP/out" 2>&1
st=$?
check "a schema pb of another application: migrate refuses it, exit 3, and adds nothing" \
	"3|pb-db: database otherapp has a schema pb that partnerbill's migrations did not make (it holds objects but no pb.schema_migrations): migrate into a database of its own|1" \
	"$st|$(cat "$TMP/out")|$(PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=otherapp" "$PBDB" psql -X -A -t \
		-c "SELECT count(*) FROM pg_class WHERE relnamespace = 'pb'::regnamespace")"

# A database whose search_path is empty (as a hardened role or database may have it): migrate makes every
# object where it belongs and the programs work, the extension put in pb since there is nowhere else.
pb_sql "CREATE DATABASE nosearch" >/dev/null
pb_sql "ALTER DATABASE nosearch SET search_path = ''" >/dev/null
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$PBDB" migrate >"$TMP/out" 2>&1
st=$?
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$BIN/pb-accounts" add NS1 --name "No Search" \
	--country US >"$TMP/out2" 2>&1
st2=$?
check "an empty search_path: migrate applies every migration, the extension in pb, and the programs work" \
	"0|$(find schemas -name '[0-9]*.sql' | wc -l)|pb|0" \
	"$st|$(PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$PBDB" psql -X -A -t -c \
		"SELECT count(*) FROM pb.schema_migrations" -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'btree_gist'" |
		paste -sd'|')|$st2"

# PGHOST (or PGHOSTADDR, PGSERVICE) without PB_DATABASE_URL takes the programs to that server: status looked at the
# local cluster instead ("local cluster in .../pg: not created", exit 3) while the database they use was fine.
env -u PB_DATABASE_URL PGHOST="$SOCK" PGUSER=pb PGDATABASE=nosearch PB_VAR_DIR="$TMP/none" "$PBDB" status \
	>"$TMP/out" 2>"$TMP/err"
check "PGHOST without PB_DATABASE_URL: status tells that server's database, not the local cluster, exit 0" \
	"0|schema version N (these programs need N)|" "$?|$(sed 's/[0-9][0-9]*/N/g' "$TMP/out")|$(cat "$TMP/err")"

# A role's client_min_messages = debug5 (ALTER ROLE ... SET; here for one database) put the server's DEBUG
# lines from each connection's startup into every program's standard error.
pb_sql "ALTER ROLE CURRENT_USER IN DATABASE nosearch SET client_min_messages = debug5" >/dev/null
for cmd in "$BIN/pb-accounts list" "$PBDB status" "$BIN/pb-run --history" "$BIN/pb-api token list"; do
	# shellcheck disable=SC2086 # the program and its arguments
	PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" $cmd >"$TMP/out" 2>"$TMP/err"
	check "a role's client_min_messages = debug5: ${cmd##*/} says nothing of the server's startup on stderr" \
		"0|" "$?|$(head -c 300 "$TMP/err")"
done
pb_sql "ALTER ROLE CURRENT_USER IN DATABASE nosearch RESET client_min_messages" >/dev/null

# A read-only database (default_transaction_read_only = on, as on a standby): the programs said "database:
# ERROR: cannot execute UPDATE in a read-only transaction", naming neither the database nor what to do.
pb_sql "ALTER DATABASE nosearch SET default_transaction_read_only = on" >/dev/null
printf 'name: ro\nsteps:\n  - {name: a, run: [/bin/true]}\n' >"$TMP/ro.yaml"
ro_why="(database nosearch at $SOCK is read-only: default_transaction_read_only is on for its role or database, or its server is a standby; run against one that takes writes)"
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$BIN/pb-accounts" add RO1 --name "Read Only" \
	--country US >"$TMP/out" 2>"$TMP/err"
check "a read-only database: pb-accounts add says which and that it is read-only, exit 3" \
	"3|pb-accounts: database: ERROR:  cannot execute INSERT in a read-only transaction $ro_why" "$?|$(cat "$TMP/err")"
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$BIN/pb-run" "$TMP/ro.yaml" --month 2026-10 \
	>"$TMP/out" 2>"$TMP/err"
check "a read-only database: pb-run says which and that it is read-only, exit 3" \
	"3|pb-run: database: ERROR:  cannot execute UPDATE in a read-only transaction $ro_why" "$?|$(cat "$TMP/err")"
for cmd in "$BIN/pb-aggregate --month 2026-10" "$BIN/pb-invoice --month 2026-10 --issue --out $TMP/ro-invoices" \
	"$PBDB migrate"; do
	# shellcheck disable=SC2086 # the program and its arguments
	PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" $cmd >"$TMP/out" 2>"$TMP/err"
	check "a read-only database: ${cmd#"$BIN"/} exits 3, saying so" "3|1" "$?|$(grep -cF "$ro_why" "$TMP/err")"
done
pb_sql "ALTER DATABASE nosearch RESET default_transaction_read_only" >/dev/null

# A program killed (SIGKILL, a lost machine) while its statement waited in the server left that server process
# waiting on, holding its locks and its place in the queue, until the statement ended: here migrate waiting for the
# migrations' lock, which a psql holds for ten minutes at most (it is ended once done with: two minutes were not
# always enough on a loaded machine for the waits below, and migrate then found the lock free). Every batch program's session now asks the server to look
# for its client while a statement runs (client_connection_check_interval, PostgreSQL 14 and later).
NSU="host=$SOCK port=5432 user=pb dbname=nosearch"
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "SELECT pg_advisory_lock(7271001)" -c "SELECT pg_sleep(600)" \
	>/dev/null 2>&1 &
holder=$!
mig_waits() { pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-db' AND wait_event_type = 'Lock'"; }
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 7271001" ||
	notok "a session holds the migrations' lock"
hpid=$(pb_sql "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = 7271001")
PB_DATABASE_URL=$NSU "$PBDB" migrate >/dev/null 2>"$TMP/err" &
migrator=$!
pb_until 120 mig_waits || notok "migrate waits for the lock" "$(cat "$TMP/err")"
waited=$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-db' AND wait_event_type = 'Lock'")
# It waited silently, for ever; after a few seconds it now says for what, and who holds it.
told() { grep -q "waiting for" "$TMP/err"; }
pb_until 120 told || notok "migrate says what it waits for" "$(cat "$TMP/err")"
check "migrate waiting for the migrations' lock: says so, naming the session that holds it" \
	"pb-db: waiting for the migrations' lock (another pb-db migrate runs): server process $hpid (psql, in a transaction since T)" \
	"$(sed -E 's/since [0-9-]+ [0-9:]+ UTC/since T/' "$TMP/err")"
kill -KILL "$migrator"
wait "$migrator" 2>/dev/null
pb_until 120 pb_sql_is 0 "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-db'"
check "migrate killed while its statement waits for a lock: its server process ends, the lock's holder still there" \
	"1|0|1" "$waited|$(pb_sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pb-db'")|$(pb_sql \
		"SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'")"
pb_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
wait "$holder" 2>/dev/null

# The server stopped or the session ended (pb-db stop, a restart, a DBA) during a migration: migrate said only
# "database: server closed the connection unexpectedly This probably means the server terminated abnormally...".
# It now names the migration, which its transaction keeps whole or away, and what to do. (The newest migration
# unrecorded, migrate waits to record it again behind a lock on pb.schema_migrations; its session is ended. On a
# loaded machine it may have said what it waits for by then: that line is not this check's.)
NEWEST_FILE=$(find "$ROOT/schemas" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' -printf '%f\n' | sort | tail -n 1)
NEWEST=$((10#${NEWEST_FILE%%_*}))
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "DELETE FROM pb.schema_migrations WHERE version = $NEWEST" >/dev/null 2>&1
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "BEGIN" -c "LOCK TABLE pb.schema_migrations IN EXCLUSIVE MODE" \
	-c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" ||
	notok "a session locks pb.schema_migrations"
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out" 2>"$TMP/err" &
migrator=$!
pb_until 120 mig_waits || notok "migrate waits for pb.schema_migrations" "$(cat "$TMP/err")"
pb_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pb-db'" >/dev/null
wait "$migrator"
st=$?
pb_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
wait "$holder" 2>/dev/null
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out2" 2>&1
st2=$?
check "the session ended during a migration: exit 3, the migration named and what to do; the next migrate applies it" \
	"3||pb-db: the connection to the database ended during migration $NEWEST_FILE, which is applied whole or not at all ('pb-db status' tells): run 'pb-db migrate' again once the database is back|0|applied $NEWEST_FILE
schema at version $NEWEST" \
	"$st|$(cat "$TMP/out")|$(grep -v '^pb-db: waiting for ' "$TMP/err")|$st2|$(cat "$TMP/out2")"

# A migrate killed while a migration waited behind a lock (another session's) had printed none of the migrations
# it had applied: it kept its "applied" lines to the end. Each is now printed as its migration commits. Here 023
# applies and 024 waits for a writer of pb.aggregate_rate.
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "DELETE FROM pb.schema_migrations WHERE version IN (23, 24)" >/dev/null 2>&1
PGAPPNAME=rate-loader PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "BEGIN" \
	-c "LOCK TABLE pb.aggregate_rate IN ROW EXCLUSIVE MODE" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder=$!
pb_until 120 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" ||
	notok "a session locks pb.aggregate_rate"
hpid=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'")
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out" 2>"$TMP/err" &
migrator=$!
pb_until 120 mig_waits || notok "migrate waits for pb.aggregate_rate" "$(cat "$TMP/err")"
pb_until 120 told || notok "migrate says what it waits for" "$(cat "$TMP/err")"
kill -KILL "$migrator"
wait "$migrator" 2>/dev/null
pb_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
wait "$holder" 2>/dev/null
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out2" 2>&1
st2=$?
check "migrate killed while a migration waits for a lock: the migrations it applied are on screen" \
	"applied 023_region_fold_as_ingest.sql|0|applied 024_aggregate_rate.sql
schema at version $NEWEST" \
	"$(cat "$TMP/out")|$st2|$(cat "$TMP/out2")"
check "a migration waiting for another session's lock: migrate says which lock, and who holds it" \
	"pb-db: waiting for AccessExclusiveLock on pb.aggregate_rate (migration 024_aggregate_rate.sql): server process $hpid (rate-loader, in a transaction since T)" \
	"$(sed -E 's/since [0-9-]+ [0-9:]+ UTC/since T/' "$TMP/err")"

# Three statements of migrate outside the migrations still waited without a word, for ever, behind another
# session's lock: reading which migrations are applied (pb.schema_migrations), adding the column of their SHA-256s
# to a database an older pb-db migrated, and restoring the rule against overlapping links. Each now says, as a
# migration does, what it waits for and who holds it, once; released, migrate goes on to its end.
# migrate_told NAME WANT SQL...: migrate while a session (keeper) holds what SQL... locks, in a transaction.
migrate_told() {
	local name=$1 want=$2 hpid st
	shift 2
	PGAPPNAME=keeper PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "BEGIN" "$@" -c "SELECT pg_sleep(120)" \
		>/dev/null 2>&1 &
	holder=$!
	pb_until 60 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'"
	hpid=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'")
	# (The error file emptied first: told would find the message of the check before.)
	: >"$TMP/err"
	PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out" 2>"$TMP/err" &
	migrator=$!
	pb_until 30 told
	pb_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'" >/dev/null
	wait "$holder" 2>/dev/null
	wait "$migrator"
	st=$?
	check "$name" "0|schema at version $NEWEST|pb-db: waiting for $want: server process $hpid (keeper, in a transaction since T)" \
		"$st|$(grep -v '^restored ' "$TMP/out")|$(sed -E 's/since [0-9-]+ [0-9:]+ UTC/since T/' "$TMP/err")"
}
migrate_told "migrate reading the migrations applied behind a session's lock: says so, then goes on" \
	"AccessShareLock on pb.schema_migrations (reading the migrations applied)" \
	-c "LOCK TABLE pb.schema_migrations IN ACCESS EXCLUSIVE MODE"
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "ALTER TABLE pb.schema_migrations DROP COLUMN sha256" >/dev/null 2>&1
migrate_told "migrate adding the column of the SHA-256s behind a reader of the migrations: says so, then goes on" \
	"AccessExclusiveLock on pb.schema_migrations (adding the column of the migrations' SHA-256s)" \
	-c "SELECT count(*) FROM pb.schema_migrations"
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "ALTER TABLE pb.partner_account DROP CONSTRAINT partner_account_no_overlap" \
	>/dev/null 2>&1
migrate_told "migrate restoring the rule against overlapping links behind a reader of the links: says so, then goes on" \
	"AccessExclusiveLock on pb.partner_account (restoring the rule against overlapping links)" \
	-c "SELECT count(*) FROM pb.partner_account"

# A program started while migrate waited queued behind migrate's lock without a word, as long as migrate waited:
# here migrate adds the column of the migrations' SHA-256s (to a database an older pb-db migrated) behind a
# reader of pb.schema_migrations, and every program's check of the schema, which reads that table, waited on
# migrate's lock. Each program checks the database as it connects: while a migration is under way it now
# refuses at once, exit 3 (pb-run retries a step that exits 3), naming migrate's session.
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "ALTER TABLE pb.schema_migrations DROP COLUMN sha256" >/dev/null 2>&1
PGAPPNAME=keeper PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "BEGIN" -c "SELECT count(*) FROM pb.schema_migrations" \
	-c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
holder=$!
pb_until 60 pb_sql_is 1 "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'"
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out" 2>"$TMP/err" &
migrator=$!
pb_until 60 mig_waits
mpid=$(pb_sql "SELECT pid FROM pg_stat_activity WHERE application_name = 'pb-db' AND wait_event_type = 'Lock'")
PB_DATABASE_URL=$NSU timeout 20 "$BIN/pb-accounts" list >"$TMP/out2" 2>"$TMP/err2"
st2=$?
PB_DATABASE_URL=$NSU timeout 20 "$BIN/pb-run" --history >"$TMP/out3" 2>"$TMP/err3"
st3=$?
# status read the schema's version first, and queued behind migrate's lock there, without a word.
PB_DATABASE_URL=$NSU timeout 20 "$PBDB" status >"$TMP/out5" 2>"$TMP/err5"
st5=$?
pb_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'" >/dev/null
wait "$holder" 2>/dev/null
wait "$migrator"
st=$?
PB_DATABASE_URL=$NSU "$BIN/pb-accounts" list >/dev/null 2>"$TMP/err4"
st4=$?
under_way="a migration of the database is under way: server process $mpid (pb-db, in a transaction since T) holds the migrations' lock; run the program again once 'pb-db migrate' has ended"
check "programs started while migrate waits: refused at once, exit 3, naming migrate's session; then they run" \
	"3||pb-accounts: $under_way|3||pb-run: $under_way|0|0|" \
	"$st2|$(cat "$TMP/out2")|$(sed -E 's/since [0-9-]+ [0-9:]+ UTC/since T/' "$TMP/err2")|$st3|$(cat "$TMP/out3")|$(sed -E 's/since [0-9-]+ [0-9:]+ UTC/since T/' "$TMP/err3")|$st|$st4|$(cat "$TMP/err4")"
check "pb-db status while migrate waits: refused at once, exit 3, naming migrate's session" \
	"3||pb-db: $under_way" "$st5|$(cat "$TMP/out5")|$(sed -E 's/since [0-9-]+ [0-9:]+ UTC/since T/' "$TMP/err5")"

# The extension dropped with CASCADE (by another application that shared it, or by hand) takes pb's rule
# against overlapping links with it. pb-aggregate, which attributes usage through the links, refuses to run
# (exit 4); pb-accounts still runs, to end an overlapping link; status says so; migrate puts both back,
# and says where the extension is when it is not in pb.
NSU="host=$SOCK port=5432 user=pb dbname=nosearch"
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "DROP EXTENSION btree_gist CASCADE" >/dev/null 2>&1
PB_DATABASE_URL=$NSU "$BIN/pb-aggregate" --month 2026-10 >"$TMP/out" 2>"$TMP/err"
st=$?
PB_DATABASE_URL=$NSU "$BIN/pb-accounts" add NS2 --name "No Rule" --country US >"$TMP/out3" 2>&1
st3=$?
PB_DATABASE_URL=$NSU "$PBDB" status >"$TMP/out4" 2>"$TMP/err4"
st4=$?
# (status says the schema's version on standard output, what is wrong with it on standard error.)
check "the no-overlap rule dropped: pb-aggregate refuses naming it, pb-accounts runs, status says so on stderr" \
	"4|pb-aggregate: the database lacks pb.partner_account's rule against overlapping links (partner_account_no_overlap, dropped with the btree_gist extension?): run 'pb-db migrate' to restore it|0|3|schema version N (these programs need N)|pb-db: the database lacks pb.partner_account's rule against overlapping links (partner_account_no_overlap, dropped with the btree_gist extension?): run 'pb-db migrate' to restore it" \
	"$st|$(cat "$TMP/err")|$st3|$st4|$(sed 's/[0-9][0-9]*/N/g' "$TMP/out4")|$(cat "$TMP/err4")"
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "CREATE SCHEMA otherapp" -c "CREATE EXTENSION btree_gist SCHEMA otherapp" \
	>/dev/null 2>&1
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out2" 2>&1
st2=$?
PB_DATABASE_URL=$NSU "$PBDB" status >"$TMP/out4" 2>&1
check "migrate restores the rule, and says the extension is in another application's schema; status is clean" \
	"0|restored partner_account_no_overlap, the rule against overlapping links
note: the btree_gist extension is in schema otherapp, not pb: dropped there with CASCADE, it takes the rule against overlapping links with it (pb-aggregate then refuses to run until pb-db migrate restores it)|0" \
	"$st2|$(grep -v '^schema at version' "$TMP/out2")|$?"
# Links that overlap, made while the rule was gone: migrate cannot restore it, and says what to do.
PB_DATABASE_URL=$NSU "$PBDB" psql -X -q -c "DROP SCHEMA otherapp CASCADE" \
	-c "INSERT INTO pb.partner_account (vendor, partner_account_id, alias, valid_from, created_by) VALUES
		('aws', '111122223333', 'NS2', '2026-10-01', 'test'), ('aws', '111122223333', 'NS1', '2026-10-05', 'test')" \
	>/dev/null 2>&1
PB_DATABASE_URL=$NSU "$PBDB" migrate >"$TMP/out2" 2>&1
check "overlapping links: migrate cannot restore the rule, exit 3, saying to end one with pb-accounts unlink" \
	"3|1" "$?|$(grep -c "links overlap: end one with 'pb-accounts unlink', then run 'pb-db migrate' again)$" "$TMP/out2")"

# pg_temp first in the search_path (the extension would land in the session's temporary schema and vanish
# with it): migrate puts it in pb all the same.
pb_sql "CREATE DATABASE tempfirst" >/dev/null
pb_sql "ALTER DATABASE tempfirst SET search_path = pg_temp, public" >/dev/null
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=tempfirst" "$PBDB" migrate >"$TMP/out" 2>&1
st=$?
check "pg_temp first in the search_path: migrate applies every migration, the extension in pb" \
	"0|$(find schemas -name '[0-9]*.sql' | wc -l)|pb" \
	"$st|$(PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=tempfirst" "$PBDB" psql -X -A -t -c \
		"SELECT count(*) FROM pb.schema_migrations" -c "SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'btree_gist'" |
		paste -sd'|')"

# A migration edited after it was applied is not applied again: migrate said nothing, and the database lacked
# what the file now says. Each migration's SHA-256 is recorded as it is applied (or, applied by an older
# pb-db, when migrate first finds it); one that differs is refused, naming it. A SHA-256 set to NULL is
# recorded afresh.
TF="host=$SOCK port=5432 user=pb dbname=tempfirst"
PB_DATABASE_URL=$TF "$PBDB" psql -X -q -c "UPDATE pb.schema_migrations SET sha256 = repeat('0', 64) WHERE version = 6" \
	-c "UPDATE pb.schema_migrations SET sha256 = NULL WHERE version = 8" >/dev/null 2>&1
PB_DATABASE_URL=$TF "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
st=$?
PB_DATABASE_URL=$TF "$PBDB" psql -X -q -c "UPDATE pb.schema_migrations SET sha256 = NULL WHERE version = 6" \
	>/dev/null 2>&1
PB_DATABASE_URL=$TF "$PBDB" migrate >"$TMP/out2" 2>&1
st2=$?
check "a migration changed after it was applied: migrate refuses naming it, exit 3; recorded afresh once cleared" \
	"3||pb-db: migration 006_aggregate.sql was changed after it was applied: the database records SHA-256 $(printf '0%.0s' $(seq 64)), the programs carry $(sha256sum <schemas/006_aggregate.sql | cut -c1-64) (restore the file as it was applied and make the change a new migration; to accept it as it is, set that row's sha256 in pb.schema_migrations to NULL)|0|$(sha256sum <schemas/006_aggregate.sql | cut -c1-64)|$(sha256sum <schemas/008_invoice.sql | cut -c1-64)" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$st2|$(PB_DATABASE_URL=$TF "$PBDB" psql -X -A -t -c \
		"SELECT sha256 FROM pb.schema_migrations WHERE version IN (6, 8) ORDER BY version" | paste -sd'|')"

# A database that a newer pb-db migrated (a migration these programs do not carry): migrate said "schema at
# version N" (exit 0), status the versions alone, and every program ran on a schema it does not know. Now
# migrate refuses, applying nothing, and the programs and status refuse naming it. Status also names a
# migration missing below the newest applied, which the programs refuse, where it said the versions alone.
PB_DATABASE_URL=$TF "$PBDB" psql -X -q -c "INSERT INTO pb.schema_migrations (version, name) VALUES (999, '999_later.sql')" \
	-c "DELETE FROM pb.schema_migrations WHERE version = 7" -c "DROP TABLE pb.job_step, pb.job_run" >/dev/null 2>&1
PB_DATABASE_URL=$TF "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
st=$?
PB_DATABASE_URL=$TF "$PBDB" status >"$TMP/out2" 2>"$TMP/err2"
st2=$?
PB_DATABASE_URL=$TF "$BIN/pb-accounts" list >"$TMP/out3" 2>&1
st3=$?
newer="the database schema has migration 999_later.sql, which this pb-db does not carry: a newer partnerbill (or another branch) migrated it; run the programs that did"
check "a migration these programs do not carry: migrate refuses applying nothing, status (on stderr) and the programs refuse, exit 3" \
	"3||pb-db: $newer (nothing applied)|0|3|schema version 999 (these programs need $NEWEST)|pb-db: ${newer/this pb-db does/this program does}|3|pb-accounts: ${newer/this pb-db does/this program does}" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(PB_DATABASE_URL=$TF "$PBDB" psql -X -A -t -c "SELECT count(*) FROM pb.schema_migrations WHERE version = 7")|$st2|$(cat "$TMP/out2")|$(cat "$TMP/err2")|$st3|$(cat "$TMP/out3")"
PB_DATABASE_URL=$TF "$PBDB" psql -X -q -c "DELETE FROM pb.schema_migrations WHERE version = 999" >/dev/null 2>&1
PB_DATABASE_URL=$TF "$PBDB" status >"$TMP/out2" 2>"$TMP/err2"
st2=$?
PB_DATABASE_URL=$TF "$PBDB" migrate >"$TMP/out" 2>&1
st=$?
check "a migration missing below the newest: status says so on stderr, exit 3; migrate applies it, status then exits 0" \
	"3|schema version $NEWEST (these programs need $NEWEST)|pb-db: the database schema lacks migration 007_jobs.sql: run 'pb-db migrate'|0|applied 007_jobs.sql
schema at version $NEWEST|0" \
	"$st2|$(cat "$TMP/out2")|$(cat "$TMP/err2")|$st|$(cat "$TMP/out")|$(PB_DATABASE_URL=$TF "$PBDB" status >/dev/null 2>&1; echo $?)"

# Two migrations with one number (two branches, each adding the next one, merged): both were built in, migrate
# recorded the first under that number and took the second for applied, and status said the schema was
# complete while the database lacked it. The build now refuses them, naming both.
mkdir "$TMP/dup"
printf 'SELECT 1;\n' >"$TMP/dup/023_a.sql"
printf 'SELECT 2;\n' >"$TMP/dup/024_b.sql"
printf 'SELECT 3;\n' >"$TMP/dup/024_c.sql"
sh "$ROOT/scripts/embed_sql.sh" "$TMP/dup/m.c" "$TMP/dup/023_a.sql" "$TMP/dup/024_b.sql" "$TMP/dup/024_c.sql" \
	>"$TMP/out" 2>"$TMP/err"
check "two migrations with one number: the build refuses them, naming both, and writes nothing" \
	"1||embed_sql.sh: migrations $TMP/dup/024_b.sql and $TMP/dup/024_c.sql have the same number 24: renumber one of them|f" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(test -e "$TMP/dup/m.c" -o -e "$TMP/dup/m.c.tmp" && echo t || echo f)"

# A role granted less than the programs need (here: reading only) gets the server's refusal and what to do;
# a member of the role that owns schema pb (that ran the migrations) may do everything.
NS="host=$SOCK port=5432 user=clerk dbname=nosearch"
pb_sql "CREATE ROLE clerk LOGIN" >/dev/null
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$PBDB" psql -X -q -c "GRANT USAGE ON SCHEMA pb TO clerk" \
	-c "GRANT SELECT ON ALL TABLES IN SCHEMA pb TO clerk" >/dev/null 2>&1
PB_DATABASE_URL=$NS "$BIN/pb-accounts" add CL1 --name Clerk --country US >"$TMP/out" 2>"$TMP/err"
st=$?
check "a role without the privileges: exit 3, the refusal and what to do" \
	"3|pb-accounts: database: ERROR:  permission denied for table clc_account (role 'clerk' lacks a privilege: partnerbill's programs run as the role that owns schema pb or a member of it, and pb-db migrate needs CREATE on the database)" \
	"$st|$(cat "$TMP/err")"
PB_DATABASE_URL="host=$SOCK port=5432 user=pb dbname=nosearch" "$PBDB" psql -X -q -c "GRANT pb TO clerk" >/dev/null 2>&1
PB_DATABASE_URL=$NS "$BIN/pb-accounts" add CL1 --name Clerk --country US >"$TMP/out" 2>"$TMP/err"
check "a member of the owning role: the same command works" "0|added CLC account CL1 (Clerk, US)|" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"

# The server's settings come from its configuration alone, not from the shell that starts it: a DBA's PGPORT
# (another cluster of theirs), PGDATESTYLE, PGCLIENTENCODING and PGOPTIONS (here with a statement timeout of
# a millisecond, which would cancel the creation of the database).
"$PBDB" stop >/dev/null 2>&1
rm -rf "$TMP/var2"
PB_VAR_DIR=$TMP/var2 "$PBDB" init >/dev/null 2>&1
PB_VAR_DIR=$TMP/var2 PGPORT=5433 PGDATESTYLE="SQL, DMY" PGCLIENTENCODING=LATIN1 PGHOSTADDR=192.0.2.1 \
	PGTARGETSESSIONATTRS=standby PGCONNECT_TIMEOUT=2 \
	PGOPTIONS="-c statement_timeout=1" "$PBDB" start >"$TMP/start.out" 2>&1
st=$?
check "pb-db start with PG* variables of another cluster: the local cluster on its own socket and settings" \
	"0|.s.PGSQL.5432|0|5432,ISO, MDY,UTF8" \
	"$st|$(ls -A "$TMP/var2/pg/run" | grep -v lock)|$(PB_VAR_DIR=$TMP/var2 PGPORT=5433 "$PBDB" migrate >/dev/null 2>&1; echo $?)|$(
		PB_VAR_DIR=$TMP/var2 PGPORT=5433 "$PBDB" psql -X -A -t -F, -c 'SELECT current_setting($$port$$),
		current_setting($$DateStyle$$), current_setting($$client_encoding$$)' 2>&1)"
# PGDATABASE names a database, not a server: alone (a shell set up for psql elsewhere), it took migrate and every
# program to libpq's default server instead of the local cluster. The local cluster is used, its own database.
PB_VAR_DIR=$TMP/var2 PGDATABASE=elsewhere "$PBDB" migrate >"$TMP/out" 2>&1
st=$?
check "PGDATABASE alone: migrate and psql go to the local cluster, its database partnerbill" \
	"0|schema at version N|partnerbill" \
	"$st|$(sed 's/[0-9]*$/N/' "$TMP/out")|$(PB_VAR_DIR=$TMP/var2 PGDATABASE=elsewhere "$PBDB" psql -X -A -t -c 'SELECT current_database()' 2>&1)"
# A service file's options (here: read-only transactions) are kept: a write is refused by the server.
printf '[ro]\nhost=%s\nport=5432\nuser=pb\ndbname=partnerbill\noptions=-c default_transaction_read_only=on\n' \
	"$TMP/var2/pg/run" >"$TMP/services"
PB_DATABASE_URL=service=ro PGSERVICEFILE=$TMP/services "$BIN/pb-accounts" add RO1 --name "Read Only" --country US \
	>"$TMP/out" 2>&1
check "a service file's options are kept (read-only: the write refused, exit 3)" \
	"3|1" "$?|$(grep -c 'read-only transaction' "$TMP/out")"
PB_VAR_DIR=$TMP/var2 "$PBDB" stop >/dev/null 2>&1

# A folder so deep that the server's socket would not fit in a socket address (107 bytes): init says so and
# makes nothing, rather than start failing later with only "see server.log".
long=$TMP/$(printf 'd%.0s' $(seq 80))
PB_VAR_DIR=$long "$PBDB" init >"$TMP/out" 2>"$TMP/err"
st=$?
sock=$long/pg/run/.s.PGSQL.5432
check "a var folder too deep for the socket: init refuses naming it, nothing made" \
	"3||pb-db: init: the cluster's socket '$sock' would be ${#sock} bytes, more than a socket's 107: give PB_VAR_DIR a shorter folder|f" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$(test -e "$long" && echo t || echo f)"
# A cluster made in a short folder that was then moved deeper: status still tells its state; start refuses.
PB_VAR_DIR=$TMP/v3 "$PBDB" init >/dev/null 2>&1 && mv "$TMP/v3" "$long"
PB_VAR_DIR=$long "$PBDB" status >"$TMP/out" 2>"$TMP/err"
st=$?
PB_VAR_DIR=$long "$PBDB" start >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "a cluster moved too deep: status says it is stopped; start refuses naming the socket" \
	"3|local cluster in $long/pg: stopped|3|pb-db: start: the cluster's socket '$sock' would be ${#sock} bytes, more than a socket's 107: give PB_VAR_DIR a shorter folder" \
	"$st|$(cat "$TMP/out" "$TMP/err")|$st2|$(cat "$TMP/err2")"

# The same cluster through a short link to its deep folder (a clone under a long path, reached by a short one): its
# socket was measured, and the server started and libpq pointed, on the folder resolved, too long, though the link's
# path fits. Each now takes the path as given (made absolute from the current folder as the shell names it) when the
# resolved one does not fit: start starts it there, and psql reaches it through PB_VAR_DIR or a relative one.
ln -s "$long" "$TMP/s"
PB_VAR_DIR=$TMP/s "$PBDB" start >"$TMP/out" 2>&1
st=$?
check "a deep var folder through a short link: start starts it on the link's path, psql reaches it both ways" \
	"0|local cluster in $TMP/s/pg is running|$TMP/s/pg/run|1" \
	"$st|$(cat "$TMP/out")|$(PB_VAR_DIR=$TMP/s "$PBDB" psql -X -A -t -c 'SHOW unix_socket_directories' 2>&1)|$(
		cd "$TMP/s" && PB_VAR_DIR=. "$PBDB" psql -X -A -t -c 'SELECT 1' 2>&1)"
PB_VAR_DIR=$TMP/s "$PBDB" stop >/dev/null 2>&1

# three_with_url URL: pb-db migrate, pb-accounts list and pb-db psql with PB_DATABASE_URL=URL; their statuses in
# st, st2 and st3, their standard error in $TMP/err, err2 and err3.
three_with_url() {
	PB_DATABASE_URL=$1 "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
	st=$?
	PB_DATABASE_URL=$1 "$BIN/pb-accounts" list >"$TMP/out2" 2>"$TMP/err2"
	st2=$?
	PB_DATABASE_URL=$1 "$PBDB" psql -X -c 'SELECT 1' >"$TMP/out3" 2>"$TMP/err3"
	st3=$?
}
# A connection string libpq cannot parse: its message quotes the piece it choked on, which may be the password
# (a bad %-escape in it) or the whole URI. Every program says the string is malformed without showing it.
for url in "postgresql://u:pa%zzS3cr3t@127.0.0.1:1/x" "postgresql://u:S3cr3t@[::1/x"; do
	three_with_url "$url"
	check "a malformed PB_DATABASE_URL ($url): exit 3 (psql 2), the password not shown" \
		"3|3|2|0|1|1" \
		"$st|$st2|$st3|$(cat "$TMP/err" "$TMP/err2" "$TMP/err3" | grep -c S3cr3t)|$(grep -c '^pb-accounts: cannot connect to the database: PB_DATABASE_URL is not a valid connection string or URI (' "$TMP/err2")|$(grep -c '^pb-db: psql: PB_DATABASE_URL is not a valid connection string or URI (' "$TMP/err3")"
done

# A URI whose password holds a '/' or an '@' as it is: libpq ends the user information there and takes the
# rest of the password for the host, the port or the database, which the messages named ("invalid integer
# value "S3cr3t" for connection option "port"", dbname=S3cr3t@...). Every program now refuses it unnamed.
for url in "postgresql://u:S3cr3t/x@127.0.0.1:1/x" "postgresql://u:p@/S3cr3t@127.0.0.1:1/x?host=$SOCK"; do
	three_with_url "$url"
	check "a password with a '/' or an '@' not percent-encoded ($url): exit 3 (psql 2), no part of it shown" \
		"3|3|2|0|pb-accounts: cannot connect to the database: PB_DATABASE_URL is not a valid URI (an '@' after its user information: an '@' or a '/' in a password or a user name is written %40 or %2F, and in a database's name %40): correct it|1" \
		"$st|$st2|$st3|$(cat "$TMP/err" "$TMP/err2" "$TMP/err3" | grep -c S3cr3t)|$(cat "$TMP/err2")|$(grep -c "^pb-db: psql: PB_DATABASE_URL is not a valid URI (an '@' after its user information" "$TMP/err3")"
done

check "a bad %-escape: the message says what is wrong, the token hidden" \
	'pb-db: cannot connect to the database: PB_DATABASE_URL is not a valid connection string or URI (invalid percent-encoded token: "..."): correct it' \
	"$(PB_DATABASE_URL="postgresql://u:pa%zzS3cr3t@127.0.0.1:1/x" "$PBDB" migrate 2>&1)"
check "an unknown option: its name is shown" \
	'pb-db: cannot connect to the database: PB_DATABASE_URL is not a valid connection string or URI (invalid connection option "bogus"): correct it' \
	"$(PB_DATABASE_URL="host=127.0.0.1 password=S3cr3t bogus=1" "$PBDB" migrate 2>&1)"

# A server that is down: the URL (password hidden) and the local cluster are named, with what to do.
PB_DATABASE_URL="postgresql://u:S3cr3t@127.0.0.1:1/x" "$PBDB" migrate >"$TMP/out" 2>"$TMP/err"
check "a server that is down: exit 3, the URL named without the password" \
	"3|pb-db: cannot connect to the database: connection to server at \"127.0.0.1\", port 1 failed: Connection refused Is the server running on that host and accepting TCP/IP connections? (PB_DATABASE_URL is 'user=u password=*** dbname=x host=127.0.0.1 port=1': check that its server runs and takes its user, password and database)" \
	"$?|$(cat "$TMP/err")"
"$BIN/pb-accounts" list >"$TMP/out" 2>"$TMP/err"
check "the local cluster stopped: exit 3, it is named, and how to start it" \
	"3|pb-accounts: cannot connect to the database: connection to server on socket \"$SOCK/.s.PGSQL.5432\" failed: No such file or directory Is the server running locally and accepting connections on that socket? (the local cluster in '$TMP/var/pg': start it with 'pb-db start')" \
	"$?|$(cat "$TMP/err")"

# A server killed (kill -9, a crash of the machine) leaves postmaster.pid and the socket's lock file; their
# process number may since have gone to another process of the server's user (here a sleep), which pg_ctl and
# the server take for a live server: status says stopped, start removes them and starts, nothing lost.
"$PBDB" start >/dev/null 2>&1
# (CHECKPOINT: the throwaway cluster commits without waiting for the disk.)
pb_sql "CREATE TABLE public.kept (x integer); INSERT INTO public.kept VALUES (42)" >/dev/null
pb_sql "CHECKPOINT" >/dev/null
kill -9 "$(head -n 1 "$TMP/var/pg/data/postmaster.pid")"
server_gone() { [ -S "$SOCK/.s.PGSQL.5432" ] && ! "$PBDB" psql -X -A -t -c 'SELECT 1' >/dev/null 2>&1; }
pb_until 120 server_gone || notok "the killed server is gone"
# The sleep is this one's (su's child, or setsid's own process): the newest sleep of the user was now and then
# another suite's (db.sh of the other build runs beside this one), which could end under the checks.
if [ "$(id -u)" -eq 0 ]; then
	setsid su postgres -s /bin/sh -c 'exec sleep 600' </dev/null >/dev/null 2>&1 &
else
	setsid sleep 600 </dev/null >/dev/null 2>&1 &
fi
SLEEP_STARTER=$!
SLEEPER_PID=
sleeper() {
	local p
	for p in "$SLEEP_STARTER" $(pgrep -P "$SLEEP_STARTER"); do
		if [ "$(cat "/proc/$p/comm" 2>/dev/null)" == sleep ]; then
			SLEEPER_PID=$p
			return 0
		fi
	done
	return 1
}
pb_until 120 sleeper || notok "a process of the server's user sleeps"
sed -i "1s/.*/$SLEEPER_PID/" "$TMP/var/pg/data/postmaster.pid" "$SOCK/.s.PGSQL.5432.lock"
"$PBDB" status >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBDB" start >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "a killed server's postmaster.pid naming another process: status says stopped, start starts, nothing lost" \
	"3|local cluster in $TMP/var/pg: stopped (a server that was killed left postmaster.pid, naming a process that is not it: 'pb-db start' removes it)|0|local cluster in $TMP/var/pg is running|42" \
	"$st|$(cat "$TMP/out" "$TMP/err")|$st2|$(cat "$TMP/out2" "$TMP/err2")|$(pb_sql "SELECT x FROM public.kept" 2>&1)"
# The same with postmaster.pid removed by hand (a common advice after a kill -9): the socket's lock file, naming
# that other process, made the server refuse to start ("lock file ... already exists"). start removes it too.
kill -9 "$(head -n 1 "$TMP/var/pg/data/postmaster.pid")"
pb_until 120 server_gone || notok "the killed server is gone"
rm -f "$TMP/var/pg/data/postmaster.pid"
sed -i "1s/.*/$SLEEPER_PID/" "$SOCK/.s.PGSQL.5432.lock"
"$PBDB" start >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "postmaster.pid removed by hand, the socket's lock file naming another process: start removes it and starts, nothing lost" \
	"0|local cluster in $TMP/var/pg is running|42" \
	"$st2|$(cat "$TMP/out2" "$TMP/err2")|$(pb_sql "SELECT x FROM public.kept" 2>&1)"
kill "$SLEEPER_PID" 2>/dev/null
SLEEPER_PID=
# A machine that crashed while the server started (or wrote its lock file) can leave postmaster.pid empty,
# which pg_ctl and the server refuse ("the PID file is empty"): status says so, start removes it and starts.
# (Stopped cleanly here, then the file left empty: the state such a crash leaves, without its recovery.)
"$PBDB" stop >/dev/null 2>&1
: >"$TMP/var/pg/data/postmaster.pid"
"$PBDB" status >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBDB" start >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "an empty postmaster.pid (a crash as the server started): status says stopped and why, start removes it and starts, nothing lost" \
	"3|local cluster in $TMP/var/pg: stopped (a server that was killed left postmaster.pid without a process number: 'pb-db start' removes it)|0|local cluster in $TMP/var/pg is running|42" \
	"$st|$(cat "$TMP/out" "$TMP/err")|$st2|$(cat "$TMP/out2" "$TMP/err2")|$(pb_sql "SELECT x FROM public.kept" 2>&1)"
# postmaster.pid removed under a running server (by hand, or by a cleaner of old files): status said "stopped"
# while the server took connections on its socket, and start ran a second server on the same data folder (which
# found the first one's shared memory in use, and gave up). status now says that it runs without the file, start
# starts no second server, and stop stops it. (The server looks for its file a minute after it started, and stops
# itself when it is gone: it is started afresh here, and the checks take seconds.)
"$PBDB" stop >/dev/null 2>&1
"$PBDB" start >/dev/null 2>&1
# (pg_ctl writes a line to the log at each start it runs, before the server.)
starts() { grep -c 'waiting for server to start' "$TMP/var/pg/server.log"; }
starts0=$(starts)
spid=$(head -n 1 "$TMP/var/pg/data/postmaster.pid")
rm -f "$TMP/var/pg/data/postmaster.pid"
"$PBDB" status >"$TMP/out" 2>"$TMP/err"
st=$?
"$PBDB" start >"$TMP/out2" 2>"$TMP/err2"
st2=$?
nopid="server process $spid runs in '$TMP/var/pg/data' without its postmaster.pid, which was removed under it"
check "postmaster.pid removed under a running server: status says it runs without it, start starts no second server" \
	"3|local cluster in $TMP/var/pg: running, but $nopid: it stops itself within a minute of finding the file gone ('pb-db stop' stops it now)|3||pb-db: start: $nopid: no second server is started on its data folder ('pb-db stop' stops it, then run 'pb-db start' again)|0|1" \
	"$st|$(cat "$TMP/out" "$TMP/err")|$st2|$(cat "$TMP/out2")|$(cat "$TMP/err2")|$(($(starts) - starts0))|$(pb_sql "SELECT 1" 2>&1)"
"$PBDB" stop >"$TMP/out" 2>&1
st=$?
"$PBDB" status >>"$TMP/out" 2>&1
"$PBDB" psql -X -A -t -c 'SELECT 1' >/dev/null 2>&1 && answers=yes || answers=no
"$PBDB" start >"$TMP/out2" 2>&1
st2=$?
check "postmaster.pid removed under a running server: stop stops it, start starts it again, nothing lost" \
	"0|local cluster in $TMP/var/pg is stopped
local cluster in $TMP/var/pg: stopped|no|0|local cluster in $TMP/var/pg is running|42" \
	"$st|$(cat "$TMP/out")|$answers|$st2|$(cat "$TMP/out2")|$(pb_sql "SELECT x FROM public.kept" 2>&1)"
"$PBDB" stop >/dev/null 2>&1

# PB_VAR_DIR with a quote and a space: the cluster's configuration names its socket folder quoted as it must
# be, and the cluster works. A comma cannot be in a socket folder (libpq and the server take it for a list):
# init says so and makes nothing.
qvar="$TMP/it's a var"
PB_VAR_DIR=$qvar "$PBDB" init >"$TMP/out" 2>&1
st=$?
PB_VAR_DIR=$qvar "$PBDB" start >>"$TMP/out" 2>&1
st2=$?
PB_VAR_DIR=$qvar "$PBDB" migrate >/dev/null 2>&1
st3=$?
# The newest migration's version, from its file's name (NNN_name.sql).
newest=$(find "$ROOT/schemas" -maxdepth 1 -name '[0-9][0-9][0-9]_*.sql' -printf '%f\n' | sort | tail -n 1)
check "a PB_VAR_DIR with a quote and a space: init, start and migrate work" \
	"0|0|0|local cluster in $qvar/pg is running|$((10#${newest%%_*}))" \
	"$st|$st2|$st3|$(tail -n 1 "$TMP/out")|$(PB_VAR_DIR=$qvar "$PBDB" psql -X -A -t -c 'SELECT max(version) FROM pb.schema_migrations' 2>&1)"
PB_VAR_DIR=$qvar "$PBDB" stop >/dev/null 2>&1
PB_VAR_DIR="$TMP/a,b" "$PBDB" init >"$TMP/out" 2>"$TMP/err"
check "a PB_VAR_DIR with a comma: init refuses naming it, nothing made" \
	"3||pb-db: init: the cluster's socket folder '$TMP/a,b/pg/run' holds a comma, which libpq and the server read as a list: give PB_VAR_DIR a folder without one|f" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(test -e "$TMP/a,b" && echo t || echo f)"

# A PB_VAR_DIR that is a link to a folder that is not there (removed, or on a disk not mounted): init said
# "'...' does not exist (run 'pb-db init')", sending its user to the command that failed. It names the link and
# where it points, and makes nothing there.
ln -s "$TMP/gone/var" "$TMP/dangling"
PB_VAR_DIR=$TMP/dangling "$PBDB" init >"$TMP/out" 2>"$TMP/err"
check "a PB_VAR_DIR linked to a folder that is not there: init refuses naming both, exit 3, nothing made" \
	"3||pb-db: init: '$TMP/dangling' is a link to '$TMP/gone/var', which does not exist: make that folder, or set PB_VAR_DIR to another|f" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(test -e "$TMP/gone" && echo t || echo f)"
# start through it sent its user to pb-db init, which refuses: it names the link and where it points too.
PB_VAR_DIR=$TMP/dangling "$PBDB" start >"$TMP/out" 2>"$TMP/err"
check "a PB_VAR_DIR linked to a folder that is not there: start says so, not to run init, exit 3" \
	"3||pb-db: start: no local cluster: '$TMP/dangling' is a link to '$TMP/gone/var', which does not exist: make that folder, or set PB_VAR_DIR to another" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"

# A line break in it: initdb and pg_ctl refuse it deep in the server's log, and init said only to check the
# postgres user's permissions. Now init refuses it at once, naming it, and makes nothing.
nlvar="$TMP/a
b"
PB_VAR_DIR=$nlvar "$PBDB" init >"$TMP/out" 2>"$TMP/err"
check "a PB_VAR_DIR with a line break: init refuses naming it (on one line, the line feed as \\x0a), nothing made" \
	"3||pb-db: init: the cluster's folder '$TMP/a\x0ab/pg' holds a line break, which initdb and pg_ctl refuse: give PB_VAR_DIR a folder without one|f" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")|$(test -e "$nlvar" && echo t || echo f)"

# An init that fails after initdb (here: the configuration cannot be written; as well a kill -9 of pb-db
# while initdb runs) leaves no cluster that a second init would take for made: that one would start with
# the server's defaults, a TCP listener on localhost with trust authentication and no socket in run/.
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir "$TMP/fakebin"
for f in "$bindir"/*; do ln -s "$f" "$TMP/fakebin/"; done
rm "$TMP/fakebin/initdb"
printf '#!/bin/sh\n"%s/initdb" "$@" || exit\nrm -f "$2/postgresql.auto.conf" && mkdir "$2/postgresql.auto.conf"\n' \
	"$bindir" >"$TMP/fakebin/initdb"
chmod 755 "$TMP/fakebin" "$TMP/fakebin/initdb"
PB_VAR_DIR=$TMP/half PB_PG_BINDIR=$TMP/fakebin "$PBDB" init >/dev/null 2>"$TMP/err"
st=$?
PB_VAR_DIR=$TMP/half "$PBDB" status >/dev/null 2>&1
st2=$?
PB_VAR_DIR=$TMP/half "$PBDB" init >"$TMP/out" 2>&1
st3=$?
PB_VAR_DIR=$TMP/half "$PBDB" start >/dev/null 2>&1
st4=$?
check "an init that failed after initdb: no cluster left, a second init makes one that starts on its socket" \
	"3|1|3|0|created the local cluster in $TMP/half/pg|0|.s.PGSQL.5432" \
	"$st|$(grep -c "^pb-db: init: cannot open '$TMP/half/pg/data.*/postgresql.auto.conf': Is a directory$" "$TMP/err")|$st2|$st3|$(cat "$TMP/out")|$st4|$(ls -A "$TMP/half/pg/run" | grep -v lock)"
PB_VAR_DIR=$TMP/half "$PBDB" stop >/dev/null 2>&1

# Two inits at once, then two starts at once (two cron jobs, two operators): they run one after the other,
# each exits 0, one cluster made, one server started.
PB_VAR_DIR=$TMP/twice "$PBDB" init >"$TMP/out" 2>&1 &
pid1=$!
PB_VAR_DIR=$TMP/twice "$PBDB" init >"$TMP/out2" 2>&1
st2=$?
wait "$pid1"
st1=$?
check "two inits at once: both exit 0, one makes the cluster, the other finds it" \
	"0|0|created the local cluster in $TMP/twice/pg
local cluster in $TMP/twice/pg exists already" \
	"$st1|$st2|$(cat "$TMP/out" "$TMP/out2" | sort)"
PB_VAR_DIR=$TMP/twice "$PBDB" start >"$TMP/out" 2>&1 &
pid1=$!
PB_VAR_DIR=$TMP/twice "$PBDB" start >"$TMP/out2" 2>&1
st2=$?
wait "$pid1"
st1=$?
check "two starts at once: both exit 0, the server runs" \
	"0|0|local cluster in $TMP/twice/pg is running
local cluster in $TMP/twice/pg is running|local cluster in $TMP/twice/pg: running" \
	"$st1|$st2|$(cat "$TMP/out" "$TMP/out2")|$(PB_VAR_DIR=$TMP/twice "$PBDB" status 2>&1 | head -n 1)"
# A cluster made as root is the postgres user's (its folders mode 700): to another user, status said "not
# created" and stop "is stopped" (exit 0) while it ran. Now they and start fail saying whose it is, and a
# program's refused connection does not send its user to 'pb-db start'.
if [ "$(id -u)" -eq 0 ]; then
	for c in status stop start init; do
		PB_VAR_DIR=$TMP/twice setpriv --reuid=nobody --regid=nogroup --clear-groups "$PBDB" $c >>"$TMP/nobody" 2>&1
		echo "exit $?" >>"$TMP/nobody"
	done
	PB_VAR_DIR=$TMP/twice setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN/pb-accounts" list \
		>/dev/null 2>"$TMP/err"
	why="cannot read the local cluster in '$TMP/twice/pg': Permission denied (it is user postgres's: run pb-db as root or as postgres)"
	check "another user's cluster: status, stop, start and init exit 3 saying whose it is, it still runs; the programs say so" \
		"pb-db: $why
exit 3
pb-db: stop: $why
exit 3
pb-db: start: $why
exit 3
pb-db: init: $why
exit 3|local cluster in $TMP/twice/pg: running|1" \
		"$(cat "$TMP/nobody")|$(PB_VAR_DIR=$TMP/twice "$PBDB" status 2>&1 | head -n 1)|$(grep -c "Permission denied .* (the local cluster in '$TMP/twice/pg' is another user's: run as that user, or as root)$" "$TMP/err")"
else
	echo "# skipped: another user's cluster (needs root)"
fi
PB_VAR_DIR=$TMP/twice "$PBDB" stop >/dev/null 2>&1
# A var folder moved (a clone moved or renamed with it): its configuration names the socket folder it was made
# in. start failed there (no such folder) or, with a cluster made there since, would take its socket. The
# server now listens in the moved folder's run/, and the programs find it.
mv "$TMP/twice" "$TMP/moved"
mkdir -p "$TMP/twice/pg/run"
PB_VAR_DIR=$TMP/moved "$PBDB" start >"$TMP/out" 2>&1
st=$?
check "a var folder moved: start starts it on the socket in its own run/, the old folder left alone" \
	"0|local cluster in $TMP/moved/pg is running|.s.PGSQL.5432||0" \
	"$st|$(cat "$TMP/out")|$(ls -A "$TMP/moved/pg/run" | grep -v lock)|$(ls -A "$TMP/twice/pg/run")|$(PB_VAR_DIR=$TMP/moved "$PBDB" psql -X -A -t -c 'SELECT 0' 2>&1)"
PB_VAR_DIR=$TMP/moved "$PBDB" stop >/dev/null 2>&1

# A server or initdb that fails: the message quotes the reason from the log, not only where the log is.
PB_VAR_DIR=$TMP/badconf "$PBDB" init >/dev/null 2>&1
echo "shared_buffers = lots" >>"$TMP/badconf/pg/data/postgresql.auto.conf"
PB_VAR_DIR=$TMP/badconf "$PBDB" start >"$TMP/out" 2>"$TMP/err"
check "a start that fails: exit 3, the server's reason and its log named" \
	"3|pb-db: start: the server did not start (pg_ctl exit 1): FATAL:  configuration file \"$TMP/badconf/pg/data/postgresql.auto.conf\" contains errors (see '$TMP/badconf/pg/server.log')" \
	"$?|$(cat "$TMP/err")"
# A data folder the server's user cannot open (given to root, by a restore or a chown -R run as root): pg_ctl
# says why in the log without "FATAL:" or "error:", and start said only "see server.log". It quotes pg_ctl.
if [ "$(id -u)" -eq 0 ]; then
	chown root "$TMP/badconf/pg/data"
	PB_VAR_DIR=$TMP/badconf "$PBDB" start >"$TMP/out" 2>"$TMP/err"
	check "a data folder that is not the server user's: start exits 3 quoting pg_ctl's reason" \
		"3|pb-db: start: the server did not start (pg_ctl exit 1): pg_ctl: could not open PID file \"$TMP/badconf/pg/data/postmaster.pid\": Permission denied (see '$TMP/badconf/pg/server.log')" \
		"$?|$(cat "$TMP/err")"
	# The whole cluster another user's (restored or copied by hand as that user): start said the folders
	# above server.log must be reachable by the postgres user, which they were. It names the folder's owner.
	chown -R nobody "$TMP/badconf/pg"
	PB_VAR_DIR=$TMP/badconf "$PBDB" start >"$TMP/out" 2>"$TMP/err"
	check "a cluster that is another user's: start exits 3 naming the folder, its owner and the server's user" \
		"3|pb-db: start: the postgres user cannot write '$TMP/badconf/pg/server.log': '$TMP/badconf/pg' is user nobody's, not postgres's (give it back: chown -R postgres '$TMP/badconf/pg')" \
		"$?|$(cat "$TMP/err")"
else
	echo "# skipped: a data folder that is not the server user's (giving it to another user needs root)"
fi
# initdb on a full disk (a small file system of its own; root only).
mkdir "$TMP/small"
if mount -t tmpfs -o size=16m,mode=755 tmpfs "$TMP/small" 2>/dev/null; then
	PB_VAR_DIR=$TMP/small/var "$PBDB" init >"$TMP/out" 2>"$TMP/err"
	st=$?
	umount "$TMP/small"
	if [ $st -eq 3 ] && grep -Eq "^pb-db: init: initdb failed \(exit 1\): FATAL: .*(No space left on device|could not extend file.*) \(see '$TMP/small/var/pg/server.log'\)$" "$TMP/err"; then
		ok "initdb on a full disk: exit 3, the reason quoted from the log"
	else
		notok "initdb on a full disk: exit 3, the reason quoted from the log" "$st $(cat "$TMP/err")"
	fi
else
	echo "# skipped: initdb on a full disk (mounting a small tmpfs needs root)"
fi
# A running cluster whose disk filled up refuses each new session ("could not write init file"): the programs
# sent their user to the PG* variables, as for settings the server refused. They now say the disk is full.
if mount -t tmpfs -o size=48m,mode=755 tmpfs "$TMP/small" 2>/dev/null; then
	PB_VAR_DIR=$TMP/small/full "$PBDB" init >/dev/null 2>&1
	PB_VAR_DIR=$TMP/small/full "$PBDB" start >/dev/null 2>&1
	dd if=/dev/zero of="$TMP/small/fill" bs=1M count=64 2>/dev/null
	PB_VAR_DIR=$TMP/small/full "$BIN/pb-accounts" list >"$TMP/out" 2>"$TMP/err"
	st=$?
	# A session already open (its init file written before the disk filled): a migration's write fails with
	# "could not extend file", which named a file inside the server's folder but not where it is.
	rm "$TMP/small/fill"
	PB_VAR_DIR=$TMP/small/full "$PBDB" psql -X -q -c "SELECT 1" >/dev/null 2>&1
	dd if=/dev/zero of="$TMP/small/fill" bs=1M count=64 2>/dev/null
	PB_VAR_DIR=$TMP/small/full "$PBDB" migrate >"$TMP/mout" 2>"$TMP/merr"
	mst=$?
	PB_VAR_DIR=$TMP/small/full "$PBDB" stop >/dev/null 2>&1
	umount "$TMP/small"
	check "a running cluster's disk full: exit 3, the refusal and that the disk is full, not the PG* variables" \
		"3||pb-accounts: cannot connect to the database: connection to server on socket \"$TMP/small/full/pg/run/.s.PGSQL.5432\" failed: FATAL:  could not write init file (the local cluster in '$TMP/small/full/pg' runs and refused the session: the file system of its data folder is full, 0 kB free: make room there, then run the program again)" \
		"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
	check "a running cluster's disk full during migrate: exit 3, the server's error and the data folder named" \
		"3||pb-db: database: ERROR:  could not extend file \"F\": No space left on device HINT:  Check free disk space. (the file system of the local cluster's data folder '$TMP/small/full/pg/data' is full, N kB free: make room there, then run the program again)" \
		"$mst|$(cat "$TMP/mout")|$(sed -E 's/file "[^"]*"/file "F"/; s/, [0-9]+ kB free/, N kB free/' "$TMP/merr")"
else
	echo "# skipped: a running cluster's disk full (mounting a small tmpfs needs root)"
fi

# A var folder on a read-only file system (a read-only bind mount; root only): start says why it cannot
# write the server's log, rather than guessing at the folders' permissions.
PB_VAR_DIR=$TMP/ro "$PBDB" init >/dev/null 2>&1
if mount --bind "$TMP/ro" "$TMP/ro" 2>/dev/null; then
	if mount -o remount,bind,ro "$TMP/ro" 2>/dev/null; then
		PB_VAR_DIR=$TMP/ro "$PBDB" start >"$TMP/out" 2>"$TMP/err"
		st=$?
		check "a read-only var folder: start exits 3 saying the file system is read-only" \
			"3|pb-db: start: the $([ "$(id -u)" -eq 0 ] && echo postgres || echo current) user cannot write '$TMP/ro/pg/server.log': Read-only file system" \
			"$st|$(cat "$TMP/err")"
	else
		echo "# skipped: a read-only var folder (cannot remount read-only)"
	fi
	umount "$TMP/ro"
else
	echo "# skipped: a read-only var folder (a bind mount needs root)"
fi

# A program started in a folder without the local cluster (no PB_DATABASE_URL): exit 3, naming the folder it
# looked in and how to point at the cluster there is, not only how to make an empty one.
mkdir -p "$TMP/elsewhere"
(cd "$TMP/elsewhere" && env -u PB_VAR_DIR "$BIN/pb-invoice" --month 2026-10 --draft) >"$TMP/out" 2>"$TMP/err"
st=$?
check "no var in the current folder: exit 3, the folder named, PB_VAR_DIR given as the way to the cluster" \
	"3||pb-invoice: no database: PB_DATABASE_URL is not set and there is no local cluster in 'var' of the current folder, $(cd "$TMP/elsewhere" && pwd -P): run the program in the folder that holds var, or set PB_VAR_DIR to var's absolute path; 'pb-db init' and 'pb-db start' make a new, empty cluster" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")"
PB_VAR_DIR=$TMP/none "$BIN/pb-invoice" --month 2026-10 --draft >"$TMP/out" 2>"$TMP/err"
check "a PB_VAR_DIR that is not there: exit 3, named as PB_VAR_DIR" \
	"3||pb-invoice: no database: PB_DATABASE_URL is not set and there is no local cluster in '$TMP/none' (PB_VAR_DIR): set PB_VAR_DIR to the folder that holds it; 'pb-db init' and 'pb-db start' make a new, empty cluster" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"

# pb-db stop where there is no cluster (run outside the clone, or a PB_VAR_DIR mistyped) said "is stopped",
# exit 0, while the cluster it was meant for ran on. Now it says there is none there, exit 3.
PB_VAR_DIR=$TMP/none "$PBDB" stop >"$TMP/out" 2>"$TMP/err"
st=$?
(cd "$TMP/elsewhere" && env -u PB_VAR_DIR "$PBDB" stop) >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "pb-db stop where there is no cluster: exit 3, saying so, nothing said stopped" \
	"3||pb-db: stop: no local cluster in '$TMP/none/pg': nothing stopped (set PB_VAR_DIR to the folder of the one to stop)|3||pb-db: stop: no local cluster in 'var/pg': nothing stopped (set PB_VAR_DIR to the folder of the one to stop)" \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$st2|$(cat "$TMP/out2")|$(cat "$TMP/err2")"

# Only psql takes arguments: the other commands ran whatever followed them, so "pb-db init --help" made a
# cluster and "pb-db migrate --dry-run" migrated. Now a usage error, exit 2, nothing done.
PB_VAR_DIR=$TMP/args "$PBDB" init --help >"$TMP/out" 2>"$TMP/err"
st=$?
PB_DATABASE_URL="host=$TMP/nowhere dbname=x" "$PBDB" migrate --dry-run >"$TMP/out2" 2>"$TMP/err2"
st2=$?
check "pb-db init --help, migrate --dry-run: exit 2, the argument named, nothing made" \
	"2||pb-db: init takes no arguments: unexpected argument '--help'
Try 'pb-db --help'.|no|2||pb-db: migrate takes no arguments: unexpected argument '--dry-run'
Try 'pb-db --help'." \
	"$st|$(cat "$TMP/out")|$(cat "$TMP/err")|$([ -e "$TMP/args" ] && echo yes || echo no)|$st2|$(cat "$TMP/out2")|$(cat "$TMP/err2")"

# A PB_PG_BINDIR without the server's programs (mistyped, or naming a version since removed): status said
# "stopped" and stop "is stopped" (exit 0) of a cluster that ran on; init and start sent the reader to an
# empty server.log. Now each says the program cannot be run, and why, exit 3. (The cluster they are run on is
# started with its socket's folder removed, as by hand to clear a stale socket: the server refused to start,
# "could not create lock file". start makes the folder again.)
rm -rf "$SOCK"
"$PBDB" start >"$TMP/out" 2>"$TMP/err"
check "the socket's folder removed: start makes it again and starts" "0|local cluster in $TMP/var/pg is running|1" \
	"$?|$(cat "$TMP/out" "$TMP/err")|$(pb_sql "SELECT 1")"
for c in status stop init; do
	PB_PG_BINDIR=$TMP/nobin PB_VAR_DIR=$TMP/$([ $c == init ] && echo nobin-var || echo var) "$PBDB" $c >>"$TMP/nobin.out" 2>&1
	echo "exit $?" >>"$TMP/nobin.out"
done
nobin="cannot run '$TMP/nobin/%s': No such file or directory (PB_PG_BINDIR is '$TMP/nobin': set it to the bin folder of a PostgreSQL server, or unset it)"
# shellcheck disable=SC2059 # nobin is the message's format
check "a PB_PG_BINDIR without the programs: status, stop and init exit 3 saying so; the cluster still runs" \
	"pb-db: $(printf "$nobin" pg_ctl)
exit 3
pb-db: stop: $(printf "$nobin" pg_ctl)
exit 3
pb-db: init: $(printf "$nobin" initdb)
exit 3|local cluster in $TMP/var/pg: running" \
	"$(cat "$TMP/nobin.out")|$("$PBDB" status 2>&1 | head -n 1)"
# The local cluster runs without its partnerbill database (dropped; or a start cut short before it made it, a
# server started with pg_ctl by hand): the programs sent their user to the PG* variables. Now to pb-db start.
"$PBDB" psql -X -q -d postgres -c "DROP DATABASE partnerbill WITH (FORCE)" >/dev/null 2>&1
"$BIN/pb-accounts" list >"$TMP/out" 2>"$TMP/err"
check "the local cluster without its database: exit 3, saying pb-db start makes it" \
	"3||pb-accounts: cannot connect to the database: connection to server on socket \"$SOCK/.s.PGSQL.5432\" failed: FATAL:  database \"partnerbill\" does not exist (the local cluster in '$TMP/var/pg' runs without the partnerbill database: 'pb-db start' creates it, then 'pb-db migrate' makes its schema)" \
	"$?|$(cat "$TMP/out")|$(cat "$TMP/err")"
"$PBDB" stop >/dev/null 2>&1

pb_tests_done
