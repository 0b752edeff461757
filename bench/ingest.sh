#!/usr/bin/env bash
# Ingest benchmark (issue 4): `yizhan fetch` of 1,000 local feeds of 50
# Chinese items each, served by nginx on loopback, in four sweeps:
#   first      every item is new (50,000 items)
#   304        every upstream answers 304 to the validators yizhan sends
#   same-bytes every upstream sends the same bytes again without validators
#   5-new      every feed gained 5 items
#
#   bench/ingest.sh            # FEEDS=1000 ITEMS=50; KEEP=1 keeps the work directory
#   DATABASE='postgres://…?search_path=ingest' bench/ingest.sh   # on PostgreSQL (issue 11)
#
# DATABASE is the store, an SQLite file in the work directory by default; a
# PostgreSQL database or schema given there must be empty. SEARCH=false
# configures [hub] search = false (no search index kept). On SQLite each
# sweep also prints after_fetch (how long the search index took to catch up
# once the fetches were done, part of the sweep's time) and longest_wait
# (the longest an item waited from its commit to being searchable).
#
# Needs Debian's nginx. Prints each sweep's wall time. See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-1000}
ITEMS=${ITEMS:-50}
CHANNELS=${CHANNELS:-100}
P_UP=${P_UP:-18191}
command -v nginx >/dev/null || { echo "ingest.sh: nginx is missing (apt-get install -y nginx)" >&2; exit 1; }

work=$(mktemp -d /tmp/yizhan-ingest.XXXXXX)
chmod 755 "$work"
DATABASE=${DATABASE:-$work/hub.db}
cleanup() {
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

go build -o "$work/yizhan" ./cmd/yizhan
go build -o "$work/genfeed" ./bench/genfeed
mkdir -p "$work/up" "$work/logs"
"$work/genfeed" -dir "$work/up" -feeds "$FEEDS" -items "$ITEMS"

# One server over the files, at the same URLs throughout (a new URL starts
# a source afresh): with validators (ETag, Last-Modified, 304) for the first
# sweeps, then reloaded without them (no ETag, never 304), like many real
# upstreams.
nginx_conf() { # VALIDATORS: on or off
	cat >"$work/nginx.conf" <<NGINX
daemon on;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	types { application/rss+xml xml; }
	server {
		listen 127.0.0.1:$P_UP; root $work/up;
		etag $1; if_modified_since $([ "$1" = on ] && echo exact || echo off);
	}
}
NGINX
}
nginx_conf on
nginx -c "$work/nginx.conf" -p "$work"
validators() { # on or off
	nginx_conf "$1"
	nginx -c "$work/nginx.conf" -p "$work" -s reload 2>/dev/null
	sleep 0.5 # old workers finish, new ones answer
}

config() { # PORT FILE
	{
		printf '[hub]\ndatabase = "%s"\nsearch = %s\n\n' "$DATABASE" "${SEARCH:-true}"
		for c in $(seq 0 $((CHANNELS - 1))); do printf '[[channel]]\nid = "c%d"\ntitle = "频道%d"\n\n' "$c" "$c"; done
		for f in $(seq 0 $((FEEDS - 1))); do
			printf '[[source]]\nid = "f%04d"\nname = "源%d"\nkind = "feed"\nurl = "http://127.0.0.1:%d/feed-%04d.xml"\nchannels = ["c%d"]\nschedule = "@every 15m"\nattribution = "人民日报"\n\n' \
				"$f" "$f" "$1" "$f" $((f % CHANNELS))
		done
	} >"$2"
}
config "$P_UP" "$work/config.toml"

sweep() { # NAME CONFIG
	local start end
	start=$(date +%s.%N)
	"$work/yizhan" fetch -config "$2" >"$work/logs/$1.out" 2>&1 || { echo "sweep $1: yizhan fetch failed:"; tail -5 "$work/logs/$1.out"; exit 1; }
	end=$(date +%s.%N)
	printf '%-11s %7.2f s   %s%s\n' "$1" "$(awk "BEGIN{print $end - $start}")" "$(summary "$work/logs/$1.out")" "$(searchlag "$work/logs/$1.out")"
}
# The search index follows the commits (SQLite): fetch waits for it before
# it exits and logs how long that took beyond the fetches (included in the
# sweep's time) and the longest any item waited to become searchable.
searchlag() { awk '/search index caught up/ {for(i=1;i<=NF;i++) if($i ~ /^(after_fetch|longest_wait)=/) printf "  %s", $i}' "$1"; }
summary() { awk '{for(i=1;i<=NF;i++){if($i=="new")n+=$(i+1); if($i=="updated")u+=$(i+1); if($i=="unchanged")s+=$(i+1)}; if(/not modified/)nm++} END{printf "new %d updated %d unchanged %d not-modified %d", n, u, s, nm}' "$1"; }

case $DATABASE in
postgres://* | postgresql://*) kind=PostgreSQL ;;
*) kind=SQLite ;;
esac
echo "# $(date -u +%FT%TZ) $kind, search ${SEARCH:-true}, $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); $FEEDS feeds x $ITEMS items, $CHANNELS channels"
sweep first "$work/config.toml"
sweep 304 "$work/config.toml"
validators off
sweep same-bytes "$work/config.toml"
"$work/genfeed" -dir "$work/up" -feeds "$FEEDS" -items "$ITEMS" -extra 5
sweep 5-new "$work/config.toml"
size=PostgreSQL
[ "$kind" = SQLite ] && size="$(du -h "$DATABASE" | cut -f1), search index $(du -h "$DATABASE.search" 2>/dev/null | cut -f1)"
echo "# database: $size; load average $(cut -d' ' -f1-3 /proc/loadavg)"
