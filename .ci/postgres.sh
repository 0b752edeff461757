#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on loopback for the tests (Debian's
# postgresql package), and prints the URL the tests take in
# YIZHAN_TEST_POSTGRES. The cluster lives in a temporary directory and stops
# with `pg_ctl stop -D DIR` (the second line printed).
#
#   eval "$(.ci/postgres.sh)"   # sets YIZHAN_TEST_POSTGRES and YIZHAN_TEST_POSTGRES_DIR
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
port=${PGPORT_TEST:-55432}
# A port nothing listens on yet (another cluster of ours may run).
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
	port=$((port + 1))
done
dir=$(mktemp -d /tmp/yizhan-pg.XXXXXX)
chmod 755 "$dir"
run() {
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$dir"
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}
run "$bin/initdb" -D "$dir/data" -U yizhan --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
run "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
run "$bin/createdb" -h 127.0.0.1 -p "$port" -U yizhan yizhan_test
echo "export YIZHAN_TEST_POSTGRES='postgres://yizhan@127.0.0.1:$port/yizhan_test?sslmode=disable'"
echo "export YIZHAN_TEST_POSTGRES_DIR='$dir'"
