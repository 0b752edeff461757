#!/usr/bin/env bash
# Replica benchmark (issue 11): three `yizhan serve` processes on one
# PostgreSQL database follow SOURCES local feeds, each due every EVERY
# seconds, for DUR seconds, while every feed gains an item a minute. Then:
#   requests   upstream requests per source (nginx's log), against what one
#              fetcher makes in DUR: DUR/EVERY + 1, ± 1
#   duplicates items stored twice (same source and link) and repeated ids
#              in the channel feeds each replica serves
#   etags      channel feeds whose ETag differs between the replicas
#
#   POSTGRES='postgres://user@127.0.0.1:5432/db?sslmode=disable' bench/replicas.sh
#   # SOURCES=200 DUR=600 EVERY=60; the test cluster: eval "$(.ci/postgres.sh)" and POSTGRES=$YIZHAN_TEST_POSTGRES
#
# It works in a schema of its own (created, then dropped). Needs Debian's
# nginx, curl and psql. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTGRES=${POSTGRES:-${YIZHAN_TEST_POSTGRES:-}}
SOURCES=${SOURCES:-200}
CHANNELS=${CHANNELS:-20}
DUR=${DUR:-600}
EVERY=${EVERY:-60}
P_UP=${P_UP:-18291}
P_HUB=${P_HUB:-18300} # the replicas listen on P_HUB, +1, +2
[ -n "$POSTGRES" ] || { echo "replicas.sh: set POSTGRES to a PostgreSQL URL" >&2; exit 1; }
for tool in nginx curl psql; do
	command -v "$tool" >/dev/null || { echo "replicas.sh: $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d /tmp/yizhan-replicas.XXXXXX)
chmod 755 "$work"
schema="replicas_$$"
sep='?'
case $POSTGRES in *\?*) sep='&' ;; esac
DATABASE="$POSTGRES${sep}search_path=$schema"
sql() { PGOPTIONS="-c search_path=$schema" psql "$POSTGRES" -qAt -c "$1"; }
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
	psql "$POSTGRES" -qAt -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
	if [ -n "${KEEP:-}" ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
psql "$POSTGRES" -qAt -c "CREATE SCHEMA $schema"

go build -o "$work/yizhan" ./cmd/yizhan
go build -o "$work/genfeed" ./bench/genfeed
mkdir -p "$work/up" "$work/logs"
"$work/genfeed" -dir "$work/up" -feeds "$SOURCES" -items 20

cat >"$work/nginx.conf" <<NGINX
daemon on;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
	log_format path '\$uri \$status';
	access_log $work/logs/access.log path;
	types { application/rss+xml xml; }
	server { listen 127.0.0.1:$P_UP; root $work/up; }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"

config() { # PORT
	printf '[hub]\ndatabase = "%s"\nlisten = "127.0.0.1:%d"\nbase_url = "http://hub.example"\n\n' "$DATABASE" "$1"
	for c in $(seq 0 $((CHANNELS - 1))); do printf '[[channel]]\nid = "c%d"\ntitle = "频道%d"\n\n' "$c" "$c"; done
	for f in $(seq 0 $((SOURCES - 1))); do
		printf '[[source]]\nid = "f%04d"\nname = "源%d"\nurl = "http://127.0.0.1:%d/feed-%04d.xml"\nchannels = ["c%d"]\nschedule = "@every %ds"\nattribution = "人民日报"\n\n' \
			"$f" "$f" "$P_UP" "$f" $((f % CHANNELS)) "$EVERY"
	done
}
echo "# $(date -u +%FT%TZ) $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); 3 replicas, $SOURCES sources every ${EVERY}s, ${DUR}s"
start=$(date +%s)
for r in 0 1 2; do
	config $((P_HUB + r)) >"$work/r$r.toml"
	"$work/yizhan" serve -config "$work/r$r.toml" >"$work/logs/r$r.log" 2>&1 &
	pids+=($!)
done

# A new article a minute on every feed.
extra=0
while [ $(($(date +%s) - start)) -lt "$DUR" ]; do
	sleep 60
	extra=$((extra + 1))
	"$work/genfeed" -dir "$work/up" -feeds "$SOURCES" -items 20 -extra "$extra"
done
sleep 5
elapsed=$(($(date +%s) - start))
cp "$work/logs/access.log" "$work/logs/counted.log"
for r in 0 1 2; do kill -0 "${pids[$r]}" || { echo "replica $r died:"; tail -5 "$work/logs/r$r.log"; exit 1; }; done
holders=$(sql "SELECT count(*) FROM source_leases GROUP BY holder ORDER BY 1 DESC" | paste -sd/)

# What the replicas serve: a fetch may commit between two replicas' answers,
# so a channel counts as differing only if it does three times, 2 s apart.
etags=0 dupfeeds=0
etag() { curl -sI "http://127.0.0.1:$1/feeds/$2.json" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}'; }
for c in $(seq 0 $((CHANNELS - 1))); do
	same=
	for try in 1 2 3; do
		a=$(etag $P_HUB "c$c") b=$(etag $((P_HUB + 1)) "c$c") d=$(etag $((P_HUB + 2)) "c$c")
		if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$b" = "$d" ]; then same=1; break; fi
		sleep 2
	done
	[ -n "$same" ] || etags=$((etags + 1))
	for r in 0 1 2; do
		curl -s "http://127.0.0.1:$((P_HUB + r))/feeds/c$c.json" | grep -o '"id": *"[^"]*"' | sort | uniq -d | grep -q . && dupfeeds=$((dupfeeds + 1))
	done
done
dups=$(sql "SELECT count(*) FROM (SELECT source_id, url FROM items GROUP BY 1, 2 HAVING count(*) > 1) d")
stored=$(sql "SELECT count(*) FROM items")
want=$((elapsed / EVERY + 1))
awk -v want="$want" -v n="$SOURCES" '$2 == 200 || $2 == 304 { c[$1]++ }
	END {
		min = 1e9; max = 0; off = 0; total = 0
		for (p in c) { total += c[p]; if (c[p] < min) min = c[p]; if (c[p] > max) max = c[p]; if (c[p] < want - 1 || c[p] > want + 1) off++ }
		printf "requests   %d sources seen of %d; per source min %d max %d, one fetcher %d in the run; %d sources outside ±1; %d in all\n", length(c), n, min, max, want, off, total
	}' "$work/logs/counted.log"
echo "duplicates $dups stored twice of $stored items; $dupfeeds feeds (of $((CHANNELS * 3))) with a repeated id"
echo "etags      $etags of $CHANNELS channel feeds differ between the replicas"
echo "leases     sources per replica holding them at the end: $holders"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg)"
