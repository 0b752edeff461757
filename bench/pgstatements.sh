#!/usr/bin/env bash
# Where PostgreSQL spends a command's time: runs the command with every
# statement logged (log_min_duration_statement = 0) and prints the statements
# with the most time summed, parse/bind/execute apart. Issue 11 found the
# story-candidates plan and the per-item INSERTs this way (docs/performance.md).
#
#   eval "$(.ci/postgres.sh)"   # the test cluster: its log is $YIZHAN_TEST_POSTGRES_DIR/server.log
#   DATABASE="${YIZHAN_TEST_POSTGRES%%\?*}?sslmode=disable&search_path=ingest" FEEDS=300 \
#       bench/pgstatements.sh bench/ingest.sh
#
# Needs psql and python3, and superuser rights on the cluster (ALTER SYSTEM).
set -euo pipefail
: "${YIZHAN_TEST_POSTGRES:?set it (eval \"\$(.ci/postgres.sh)\")}"
: "${YIZHAN_TEST_POSTGRES_DIR:?set it (eval \"\$(.ci/postgres.sh)\")}"
log="$YIZHAN_TEST_POSTGRES_DIR/server.log"
pg() { psql "$YIZHAN_TEST_POSTGRES" -qAt -c "$1" >/dev/null; }
pg "ALTER SYSTEM SET log_min_duration_statement = 0"
pg "SELECT pg_reload_conf()"
trap 'pg "ALTER SYSTEM RESET log_min_duration_statement"; pg "SELECT pg_reload_conf()"' EXIT
sleep 1
: >"$log"
"$@"
python3 - "$log" <<'EOF'
import collections, re, sys
total, count = collections.defaultdict(float), collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"duration: ([\d.]+) ms\s+(\w+)[^:]*: (.*)", line)
    if m:
        key = (m.group(2), re.sub(r"\s+", " ", m.group(3))[:70])
        total[key] += float(m.group(1))
        count[key] += 1
for key, ms in sorted(total.items(), key=lambda kv: -kv[1])[:15]:
    print(f"{ms:9.0f} ms {count[key]:7d} {key[0]:9s} {key[1]}")
EOF
