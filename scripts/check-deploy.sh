#!/usr/bin/env bash
# Checks tagflow's deployment files.
#
#   scripts/check-deploy.sh
#       promtool check config/rules, promtool rule unit tests, and the static
#       Go checks in test/deploy (compose, dashboards, PromQL, kustomize).
#
#   TAGFLOW_LIVE=1 scripts/check-deploy.sh
#       also evaluates every dashboard and rule expression on a live stack:
#       starts Prometheus with deployments/prometheus/prometheus.local.yml
#       (scraping ingest on 127.0.0.1:8080, the workers on 127.0.0.1:9091 and
#       up, and prometheus-nats-exporter on 127.0.0.1:7777) and fails if a
#       panel query or a dashboard variable returns nothing or a rule fails.
#       The stack must already run and have had traffic (`make check-deploy`
#       does both). The "NATS JetStream" dashboard reads prometheus-nats-exporter
#       series: without an exporter its panels are SKIPPED, and the script
#       says so at the end.
#
#   TAGFLOW_LIVE=1 TAGFLOW_NATS_EXPORTER=/path/to/prometheus-nats-exporter scripts/check-deploy.sh
#       the same, and also starts that exporter binary for the duration of the
#       check, with the compose stack's flags (nats_exporter_flags below; a
#       test keeps them equal to docker-compose.yml's) against the stack's
#       NATS monitoring endpoint, so the NATS dashboard is required to return
#       data too (TAGFLOW_LIVE_NATS=1 is passed to the live tests).
#
#   TAGFLOW_LIVE=1 TAGFLOW_PROMETHEUS_URL=http://127.0.0.1:9090 scripts/check-deploy.sh
#       the same against an already running Prometheus (the compose stack's,
#       which scrapes its own exporter); TAGFLOW_NATS_EXPORTER is ignored.
#
# Environment:
#   TAGFLOW_METRICS_TARGETS     live: /metrics URLs checked with `promtool check metrics`
#                               (default ingest :8080 and the first worker :9091)
#   TAGFLOW_LIVE_TIMEOUT        how long each panel query may take to return
#                               series (default 2m)
#   TAGFLOW_PROMETHEUS_PORT     port of the Prometheus this script starts
#                               (default 19090)
#   TAGFLOW_NATS_MONITOR_URL    NATS monitoring endpoint the exporter reads
#                               (default http://127.0.0.1:8222; devstack
#                               -nats-monitor-port changes it)
#   TAGFLOW_NATS_EXPORTER_PORT  port the exporter listens on (default 7777;
#                               another port makes the script run Prometheus
#                               with a copy of the config scraping that port)
set -euo pipefail

cd "$(dirname "$0")/.."
prom_dir=deployments/prometheus

log() { printf '== %s\n' "$*" >&2; }

if ! command -v promtool >/dev/null 2>&1; then
  log "installing Debian's prometheus package (promtool)"
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "promtool not found: install Prometheus (Debian: apt-get install prometheus)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

log "promtool check config"
promtool check config "$prom_dir/prometheus.yml" "$prom_dir/prometheus.local.yml"
log "promtool check rules"
promtool check rules "$prom_dir/tagflow.rules.yml"
log "promtool test rules"
promtool test rules "$prom_dir/tagflow.rules.test.yml"

log "go test test/deploy (compose, dashboards, PromQL, kustomize)"
(cd test/deploy && env -u TAGFLOW_LIVE go test -count=1 ./...)

if [ "${TAGFLOW_LIVE:-}" != "1" ]; then
  exit 0
fi

# The live stack's own metrics must pass promtool's linter (names, units, help).
for target in ${TAGFLOW_METRICS_TARGETS:-http://127.0.0.1:8080/metrics http://127.0.0.1:9091/metrics}; do
  log "promtool check metrics $target"
  if ! out=$(curl -fsS "$target"); then
    echo "cannot read $target: is the stack running?" >&2
    exit 1
  fi
  # Go runtime and process collectors are the client library's, not ours.
  if ! printf '%s\n' "$out" | grep -v -E '^(# (HELP|TYPE) )?(go|process|promhttp)_' | promtool check metrics; then
    echo "promtool check metrics failed for $target" >&2
    exit 1
  fi
done

# The flags of the compose stack's nats-exporter service, without -port and
# the URL (TestCheckDeployExporterFlags keeps them in step).
nats_exporter_flags=(-prefix=nats -use_internal_server_id -varz -connz -jsz=all)

tmp="$(mktemp -d)"
prom_pid=""
exporter_pid=""
stop() {
  if [ -n "$1" ]; then
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop "$prom_pid"
  stop "$exporter_pid"
  rm -rf "$tmp"
}
trap cleanup EXIT

live_nats=""
url="${TAGFLOW_PROMETHEUS_URL:-}"
if [ -z "$url" ]; then
  config="$prom_dir/prometheus.local.yml"
  exporter="${TAGFLOW_NATS_EXPORTER:-}"
  if [ -n "$exporter" ]; then
    if [ ! -x "$exporter" ]; then
      echo "TAGFLOW_NATS_EXPORTER=$exporter is not an executable file" >&2
      exit 1
    fi
    monitor="${TAGFLOW_NATS_MONITOR_URL:-http://127.0.0.1:8222}"
    eport="${TAGFLOW_NATS_EXPORTER_PORT:-7777}"
    if curl -fsS -o /dev/null "http://127.0.0.1:$eport/metrics" 2>/dev/null; then
      echo "port $eport already serves /metrics: stop that exporter or set TAGFLOW_NATS_EXPORTER_PORT" >&2
      exit 1
    fi
    if ! curl -fs -o /dev/null "$monitor/varz"; then
      echo "no NATS monitoring endpoint at $monitor (is the stack running? see TAGFLOW_NATS_MONITOR_URL)" >&2
      exit 1
    fi
    log "starting $exporter -port=$eport ${nats_exporter_flags[*]} $monitor"
    "$exporter" -port="$eport" "${nats_exporter_flags[@]}" "$monitor" >"$tmp/nats-exporter.log" 2>&1 &
    exporter_pid=$!
    ready=""
    for _ in $(seq 1 60); do
      if curl -fsS "http://127.0.0.1:$eport/metrics" 2>/dev/null | grep -q '^nats_varz_'; then
        ready=1
        break
      fi
      if ! kill -0 "$exporter_pid" 2>/dev/null; then
        break
      fi
      sleep 0.5
    done
    if [ -z "$ready" ]; then
      echo "prometheus-nats-exporter serves no nats_varz_* series on port $eport; its log:" >&2
      cat "$tmp/nats-exporter.log" >&2
      exit 1
    fi
    live_nats=1
    if [ "$eport" != "7777" ]; then
      # Rules are loaded relative to the config file: copy both.
      sed "s/127\.0\.0\.1:7777/127.0.0.1:$eport/" "$config" >"$tmp/prometheus.yml"
      cp "$prom_dir/tagflow.rules.yml" "$tmp/"
      config="$tmp/prometheus.yml"
    fi
  fi
  port="${TAGFLOW_PROMETHEUS_PORT:-19090}"
  url="http://127.0.0.1:$port"
  log "starting Prometheus on $url with $config (data and log in $tmp)"
  prometheus \
    --config.file="$config" \
    --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$port" \
    >"$tmp/prometheus.log" 2>&1 &
  prom_pid=$!
  ready=""
  for _ in $(seq 1 60); do
    if curl -fsS "$url/-/ready" >/dev/null 2>&1; then
      ready=1
      break
    fi
    if ! kill -0 "$prom_pid" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  if [ -z "$ready" ]; then
    echo "Prometheus did not become ready; its log:" >&2
    cat "$tmp/prometheus.log" >&2
    exit 1
  fi
elif [ -n "${TAGFLOW_NATS_EXPORTER:-}" ]; then
  log "TAGFLOW_NATS_EXPORTER ignored: $url scrapes its own exporter"
fi

log "live queries on $url"
status=0
(cd test/deploy && TAGFLOW_LIVE=1 TAGFLOW_LIVE_NATS="$live_nats" TAGFLOW_PROMETHEUS_URL="$url" \
  go test -count=1 -run '^TestLive' -v ./...) 2>&1 | tee "$tmp/live.out" || status=$?

count() { grep -c -- "--- $1:" "$tmp/live.out" || true; }
log "live tests and subtests: $(count PASS) passed, $(count SKIP) skipped, $(count FAIL) failed"
nats_skipped="$(grep -c -- '--- SKIP: .*nats-jetstream\.json' "$tmp/live.out" || true)"
if [ "$nats_skipped" -gt 0 ]; then
  log "SKIPPED: the $nats_skipped checks of the NATS JetStream dashboard (no prometheus-nats-exporter;" \
    "set TAGFLOW_NATS_EXPORTER to its binary to check them)"
fi
if [ "$status" -ne 0 ]; then
  if [ -n "$prom_pid" ]; then
    echo "Prometheus log tail:" >&2
    tail -n 20 "$tmp/prometheus.log" >&2
  fi
  if [ -n "$exporter_pid" ]; then
    echo "prometheus-nats-exporter log tail:" >&2
    tail -n 20 "$tmp/nats-exporter.log" >&2
  fi
fi
exit "$status"
