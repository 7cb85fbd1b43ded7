#!/bin/sh
# pg.sh — a throwaway PostgreSQL server for the tests, on a loopback port.
#
#   tests/pg.sh start        starts one; prints shell assignments
#                            ASSAY_TEST_PG='postgres://…' PG_TEST_DIR='…'
#                            for `eval`; the server runs until `stop`
#   tests/pg.sh stop DIR     stops the server of DIR and removes DIR
#   tests/pg.sh run CMD…     start, run CMD with ASSAY_TEST_PG exported,
#                            stop (also on Ctrl-C or an error: a trap)
#
# initdb runs in a fresh temporary directory.  PostgreSQL refuses to run as
# root, so as root (make check in CI) the directory is handed to the
# unprivileged user `nobody` and every server command runs through runuser;
# as anyone else it runs as that user.  The server listens on 127.0.0.1 only
# (its Unix socket in the same directory), trusts local connections (the
# only client is this test run), and skips fsync: a crash loses nothing
# that matters.  The port is asked of the OS (a bind to port 0) and the
# start is retried on another port if a process took it meanwhile.
# Binaries: /usr/lib/postgresql/15/bin (Debian's postgresql-15), or PG_BIN.
set -u
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
	if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/postgres" ]; then
		echo "pg.sh: no PostgreSQL in $PG_BIN (Debian package postgresql-15)" >&2
		return 1
	fi
	dir=$(mktemp -d /tmp/assay-pg.XXXXXX) || return 1
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && chown nobody "$dir"
	if ! as_owner "$PG_BIN/initdb" -D "$dir/data" -U assay -A trust \
		--no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
		echo "pg.sh: initdb failed:" >&2
		tail -n 20 "$dir/initdb.log" >&2
		rm -rf "$dir"
		return 1
	fi
	tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		port=$(free_port) || break
		as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-k $dir -h 127.0.0.1 -p $port -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
			start >"$dir/pg_ctl.log" 2>&1 || continue
		if as_owner "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U assay assay_test \
			>>"$dir/pg_ctl.log" 2>&1; then
			echo "ASSAY_TEST_PG='postgres://assay@127.0.0.1:$port/assay_test?sslmode=disable&gssencmode=disable'"
			echo "PG_TEST_DIR='$dir'"
			return 0
		fi
		as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
	done
	echo "pg.sh: the server did not start:" >&2
	tail -n 20 "$dir/server.log" "$dir/pg_ctl.log" >&2 2>/dev/null
	rm -rf "$dir"
	return 1
}

stop() {
	dir=$1
	case $dir in /tmp/assay-pg.*) ;; *) echo "pg.sh: not a test server directory: $dir" >&2; return 1 ;; esac
	[ -d "$dir/data" ] && as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
	rm -rf "$dir"
}

case ${1:-} in
start) start ;;
stop) stop "${2:?pg.sh stop DIR}" ;;
run)
	shift
	vars=$(start) || exit 1
	eval "$vars"
	export ASSAY_TEST_PG
	trap 'stop "$PG_TEST_DIR"' EXIT
	trap 'exit 130' INT TERM
	"$@"
	;;
*) echo "usage: tests/pg.sh start | stop DIR | run CMD..." >&2; exit 2 ;;
esac
