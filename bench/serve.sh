#!/usr/bin/env bash
# Serving benchmark (issue 4): one 50-item channel of Chinese articles
# (bench/feedgen) served by yizhan, by nginx (the very bytes yizhan serves,
# gzip_static, etag on) and by a bare net/http handler holding the same bytes
# in memory (bench/bare), all on loopback, measured by wrk in one run,
# alternating servers, for a plain GET, a GET with Accept-Encoding: gzip and a
# conditional GET answered 304.
#
#   bench/serve.sh                 # DUR=10s ROUNDS=3
#   INGEST=1 bench/serve.sh        # the same while yizhan re-fetches the source every
#                                  # second and the upstream publishes 5 new items a second
#   QUERY='filter=…&opencc=s2t' bench/serve.sh
#                                  # also a fourth server in the rotation, "variant": yizhan
#                                  # serving the feed with that query (issue 12), compared
#                                  # with yizhan's base feed (target: >= 0.9 x)
#
# With INGEST=1 the conditional GET sends the ETag of the last response each
# connection got (bench/etag.lua), for all three servers, since yizhan's feed
# changes under it; the plain and gzip lines are as without ingest.
#
# Needs Debian's wrk, nginx and curl. Prints requests/s and p99 latency per
# line, the best and the median of ROUNDS for each, the ratios yizhan/nginx
# and yizhan/bare, and checks issue 4's targets; exits 1 if a request failed or yizhan logged
# "database is locked". See docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-10s}
ROUNDS=${ROUNDS:-3}
INGEST=${INGEST:-0}
QUERY=${QUERY:-}
THREADS=${THREADS:-2}
CONNS=${CONNS:-50}
P_YIZHAN=${P_YIZHAN:-18090}
P_UP=${P_UP:-18091}
P_BARE=${P_BARE:-18092}
P_NGINX=${P_NGINX:-18093}
for tool in wrk nginx curl; do
	command -v "$tool" >/dev/null || { echo "serve.sh: $tool is missing (apt-get install -y wrk nginx curl)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/yizhan-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/yizhan" ./cmd/yizhan
go build -o "$work/bare" ./bench/bare
go build -o "$work/genfeed" ./bench/genfeed
mkdir -p "$work/up" "$work/static" "$work/logs"
"$work/genfeed" -dir "$work/up" -feeds 1 -items 50

cat >"$work/nginx.conf" <<NGINX
daemon on;
worker_processes auto;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	types { application/rss+xml rss; application/xml xml; }
	server {
		listen 127.0.0.1:$P_UP;
		root $work/up;
	}
	server {
		listen 127.0.0.1:$P_NGINX;
		root $work/static;
		gzip_static on;
		etag on;
		include $work/cache.conf;
		charset utf-8;
		charset_types application/rss+xml;
	}
}
NGINX
echo >"$work/cache.conf"
nginx -c "$work/nginx.conf" -p "$work"

schedule='@every 1h'
[ "$INGEST" = 1 ] && schedule='@every 1s'
cat >"$work/config.toml" <<TOML
[hub]
title     = "驿站基准"
base_url  = "http://127.0.0.1:$P_YIZHAN"
listen    = "127.0.0.1:$P_YIZHAN"
database  = "$work/hub.db"

[[channel]]
id    = "bench"
title = "基准频道"

[[source]]
id          = "bench"
name        = "基准源"
kind        = "feed"
url         = "http://127.0.0.1:$P_UP/feed-0000.xml"
channels    = ["bench"]
schedule    = "$schedule"
attribution = "人民日报"
copyright   = "人民网版权所有"
TOML
"$work/yizhan" fetch -config "$work/config.toml" >/dev/null
"$work/yizhan" serve -config "$work/config.toml" 2>"$work/logs/yizhan.log" &
pids+=($!)
yizhan_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$P_YIZHAN/healthz" >/dev/null && break; sleep 0.1; done

feed="http://127.0.0.1:$P_YIZHAN/feeds/bench.rss"
curl -sf "$feed" -o "$work/static/bench.rss"
curl -sf -H 'Accept-Encoding: gzip' "$feed" -o "$work/static/bench.rss.gz"
# All three send the same header fields with the same values: nginx and
# bare take yizhan's Cache-Control and Last-Modified (nginx from the files'
# modification time).
header() { curl -sfI "$1" | tr -d '\r' | awk -F': ' -v k="$2" 'tolower($1)==tolower(k){print $2}'; }
cache_control=$(header "$feed" Cache-Control)
last_modified=$(header "$feed" Last-Modified)
touch -d "$last_modified" "$work/static/bench.rss" "$work/static/bench.rss.gz"
echo "add_header Cache-Control \"$cache_control\";" >"$work/cache.conf"
nginx -c "$work/nginx.conf" -p "$work" -s reload 2>/dev/null
"$work/bare" -file "$work/static/bench.rss" -listen "127.0.0.1:$P_BARE" \
	-cache-control "$cache_control" -last-modified "$last_modified" &
pids+=($!)
sleep 0.3

if [ "$INGEST" = 1 ]; then
	# Every second the upstream publishes 5 new articles and drops its 5
	# oldest, so that every scheduled fetch stores 5 items and the channel's
	# renderings are made again.
	( i=1; while :; do "$work/genfeed" -dir "$work/up" -feeds 1 -items 50 -first $((i * 5)); i=$((i + 1)); sleep 1; done ) &
	pids+=($!)
fi

# The conditional GET under ingest: each connection sends the ETag it last got.
cat >"$work/etag.lua" <<'LUA'
local etag = nil
request = function()
	if etag then
		return wrk.format(nil, nil, { ["If-None-Match"] = etag })
	end
	return wrk.format()
end
response = function(status, headers, body)
	local e = headers["ETag"] or headers["Etag"] or headers["etag"]
	if e then etag = e end
end
LUA

declare -A url=([yizhan]="$feed" [nginx]="http://127.0.0.1:$P_NGINX/bench.rss" [bare]="http://127.0.0.1:$P_BARE/bench.rss")
servers=(yizhan nginx bare)
if [ -n "$QUERY" ]; then
	url[variant]="$feed?$QUERY"
	servers+=(variant)
	code=$(curl -s -o "$work/variant.rss" -w '%{http_code}' "${url[variant]}")
	[ "$code" = 200 ] || { echo "serve.sh: ${url[variant]} answered $code" >&2; exit 1; }
	echo "# variant: ?$QUERY, $(grep -c '<item>' "$work/variant.rss") items, $(wc -c <"$work/variant.rss") bytes"
fi
etag() { header "$1" ETag; }

# measure SERVER SCENARIO: prints "rps p99_ms non2xx3xx socket_errors"
measure() {
	local server=$1 scenario=$2 args=()
	case $scenario in
	gzip) args=(-H 'Accept-Encoding: gzip') ;;
	304)
		if [ "$INGEST" = 1 ]; then
			args=(-s "$work/etag.lua")
		else
			args=(-H "If-None-Match: $(etag "${url[$server]}")")
		fi
		;;
	esac
	wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "${args[@]}" "${url[$server]}" >"$work/wrk.out" 2>&1
	cat "$work/wrk.out" >>"$work/logs/wrk.log"
	awk '
		/Requests\/sec/ {rps=$2}
		/^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
		/Non-2xx or 3xx/ {non=$NF}
		/Socket errors/ {gsub(/,/,""); err=$4+$6+$8+$10}
		END {printf "%s %.2f %d %d\n", rps, p99, non, err}
	' "$work/wrk.out"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), load average $(load)"
echo "# wrk -t$THREADS -c$CONNS -d$DUR, best of $ROUNDS rounds, ingest=$INGEST"
echo "# feed: $(wc -c <"$work/static/bench.rss") bytes, gzip $(wc -c <"$work/static/bench.rss.gz") bytes"
# Header bytes of a gzip 200 and of a 304 from each server: they should be alike.
hdrs=""
for server in "${servers[@]}"; do
	u=${url[$server]}
	g=$(curl -s -o /dev/null -D - -H 'Accept-Encoding: gzip' "$u" | wc -c)
	n=$(curl -s -o /dev/null -D - -H "If-None-Match: $(etag "$u")" "$u" | wc -c)
	hdrs="$hdrs $server $g/$n"
done
echo "# response header bytes, gzip 200/304:$hdrs"
printf '%-8s %-7s %12s %9s %8s %7s\n' scenario server req/s p99_ms non2xx errors
declare -A best p99 runs
failed=0
for scenario in plain gzip 304; do
	for round in $(seq "$ROUNDS"); do
		for server in "${servers[@]}"; do
			read -r rps p non err < <(measure "$server" "$scenario")
			printf '%-8s %-7s %12s %9s %8s %7s\n' "$scenario" "$server" "$rps" "$p" "$non" "$err"
			failed=$((failed + non + err))
			key="$scenario/$server"
			runs[$key]="${runs[$key]:-} $rps:$p"
			if [ -z "${best[$key]:-}" ] || awk "BEGIN{exit !($rps > ${best[$key]})}"; then best[$key]=$rps; p99[$key]=$p; fi
		done
	done
done
echo "# load average $(load) at the end; yizhan RSS $(awk '/VmRSS/{print $2, $3}' "/proc/$yizhan_pid/status")"
echo
p99max=10
[ "$INGEST" = 1 ] && p99max=20
# median KEY: the median round's "rps p99" (the lower middle one when even)
median() { tr ' ' '\n' <<<"${runs[$1]}" | grep . | sort -t: -k1 -g | awk -F: '{r[NR]=$1; p[NR]=$2} END {m=int((NR+1)/2); print r[m], p[m]}'; }
table() { # TITLE, then lines of "scenario yizhan nginx bare yizhan_p99"
	echo "# $1; targets: yizhan >= 0.9 x bare and >= 0.5 x nginx, p99 < $p99max ms"
	printf '%-8s %12s %12s %12s %9s %8s %11s  %s\n' scenario yizhan nginx bare y/nginx y/bare yizhan_p99 verdict
	while read -r scenario y n b p; do
		rn=$(awk "BEGIN{printf \"%.2f\", $y/$n}") rb=$(awk "BEGIN{printf \"%.2f\", $y/$b}")
		verdict=$(awk "BEGIN{m=\"\"; if ($rb < 0.9) m=m\" <0.9xbare\"; if ($rn < 0.5) m=m\" <0.5xnginx\"; if ($p >= $p99max) m=m\" p99\"; print (m==\"\" ? \"ok\" : \"MISSED:\" m)}")
		printf '%-8s %12s %12s %12s %9s %8s %9sms  %s\n' "$scenario" "$y" "$n" "$b" "$rn" "$rb" "$p" "$verdict"
	done
}
for scenario in plain gzip 304; do
	echo "$scenario ${best[$scenario/yizhan]} ${best[$scenario/nginx]} ${best[$scenario/bare]} ${p99[$scenario/yizhan]}"
done | table "best of $ROUNDS rounds"
echo
for scenario in plain gzip 304; do
	read -r y p < <(median "$scenario/yizhan")
	read -r n _ < <(median "$scenario/nginx")
	read -r b _ < <(median "$scenario/bare")
	echo "$scenario $y $n $b $p"
done | table "median of $ROUNDS rounds"
if [ -n "$QUERY" ]; then
	echo
	echo "# the variant against yizhan's base feed (best, median); target >= 0.9"
	printf '%-8s %12s %12s %9s %12s %12s %9s\n' scenario base variant ratio base_med var_med ratio
	for scenario in plain gzip 304; do
		read -r ym _ < <(median "$scenario/yizhan")
		read -r vm _ < <(median "$scenario/variant")
		yb=${best[$scenario/yizhan]} vb=${best[$scenario/variant]}
		printf '%-8s %12s %12s %9s %12s %12s %9s\n' "$scenario" "$yb" "$vb" "$(awk "BEGIN{printf \"%.2f\", $vb/$yb}")" \
			"$ym" "$vm" "$(awk "BEGIN{printf \"%.2f\", $vm/$ym}")"
	done
fi
echo "# yizhan log: $(grep -c 'level=ERROR' "$work/logs/yizhan.log" || true) errors, $(grep -c 'level=WARN' "$work/logs/yizhan.log" || true) warnings"
if [ "$INGEST" = 1 ]; then
	curl -s "http://127.0.0.1:$P_YIZHAN/metrics" >"$work/metrics.txt"
	echo "# ingest: $(awk '/^yizhan_fetches_total/ {s+=$2} END {print s+0}' "$work/metrics.txt") fetches," \
		"$(awk '/^yizhan_items_saved_total.*change="new"/ {s+=$2} END {print s+0}' "$work/metrics.txt") new items saved," \
		"$(awk '/^yizhan_feed_renders_total/ {s+=$2} END {print s+0}' "$work/metrics.txt") renderings"
fi
if grep -qi 'database is locked' "$work/logs/yizhan.log"; then
	echo "FAIL: 'database is locked' in yizhan's log"
	exit 1
fi
if [ "$failed" -gt 0 ]; then
	echo "FAIL: $failed requests failed (non-2xx/3xx answers or socket errors)"
	exit 1
fi
