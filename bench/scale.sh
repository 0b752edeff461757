#!/usr/bin/env bash
# Scale benchmark (issue 4): a hub of 1,000,000 items across 100 channels
# (bench/scale, built by bench/scaledb). Prints the database's size, the time
# to build a channel feed after a change (BenchmarkChannelFeed), and the
# resident memory of `yizhan serve` on it once every feed of every channel
# in every format has been served, plain and gzipped, and after wrk has
# requested random ones for DUR.
#
#   bench/scale.sh                   # DB=/tmp/yizhan-scale.db, built if absent (a minute or two, 2.9 GB)
#
# Targets: a channel feed built in under 5 ms, the database under 3 GB,
# serve under 200 MB resident. Needs Debian's wrk and curl. See
# docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=${DB:-/tmp/yizhan-scale.db}
DUR=${DUR:-20s}
PORT=${PORT:-18390}
for tool in wrk curl; do
	command -v "$tool" >/dev/null || { echo "scale.sh: $tool is missing (apt-get install -y wrk curl)" >&2; exit 1; }
done
work=$(mktemp -d /tmp/yizhan-scale.XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }

go build -o "$work/yizhan" ./cmd/yizhan
go build -o "$work/scaledb" ./bench/scaledb
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), load average $(load)"
"$work/scaledb" -db "$DB" -config "$work/config.toml" -listen "127.0.0.1:$PORT" 2>&1 | tail -1
echo "# database: $(du -m "$DB" | cut -f1) MB ($(stat -c %s "$DB") bytes)"

YIZHAN_SCALE_DB=$DB go test ./bench/scale -run '^$' -bench ChannelFeed -benchtime 400x -cpu 1 | grep Benchmark

"$work/yizhan" serve -config "$work/config.toml" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS|VmHWM/ {printf "%s %d MB  ", $1, $2/1024}' "/proc/$pid/status"; }
echo "# serve started: $(rss)"

start=$(date +%s.%N)
for c in $(seq -f 'c%g' 0 99) latest; do
	for f in rss atom json; do
		curl -sf -o /dev/null "http://127.0.0.1:$PORT/feeds/$c.$f"
		curl -sf -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$PORT/feeds/$c.$f"
	done
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/"
end=$(date +%s.%N)
echo "# every feed served once, plain and gzip ($(awk "BEGIN{printf \"%.1f\", $end - $start}") s): $(rss)"

cat >"$work/random.lua" <<'LUA'
local formats = { "rss", "atom", "json" }
request = function()
	local path = "/feeds/c" .. math.random(0, 99) .. "." .. formats[math.random(1, 3)]
	return wrk.format("GET", path, { ["Accept-Encoding"] = "gzip" })
end
LUA
wrk -t2 -c50 -d"$DUR" --latency -s "$work/random.lua" "http://127.0.0.1:$PORT" | grep -E 'Requests/sec|99%|Non-2xx|Socket'
echo "# after wrk on random feeds for $DUR: $(rss)"
echo "# load average $(load)"
