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
#       (scraping ingest on 127.0.0.1:8080 and a worker on 127.0.0.1:9091)
#       and fails if a panel query returns no series or a rule fails. The
#       stack must already run and receive traffic (`make run` plus a load).
#
#   TAGFLOW_LIVE=1 TAGFLOW_PROMETHEUS_URL=http://127.0.0.1:9090 scripts/check-deploy.sh
#       the same against an already running Prometheus (the compose stack's),
#       which also checks the NATS dashboard.
#
# Environment: TAGFLOW_LIVE_TIMEOUT (default 2m) bounds how long each panel
# query may take to return series; TAGFLOW_PROMETHEUS_PORT (default 19090) is
# the port of the Prometheus this script starts.
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

tmp=""
prom_pid=""
cleanup() {
  if [ -n "$prom_pid" ]; then
    kill "$prom_pid" 2>/dev/null || true
    wait "$prom_pid" 2>/dev/null || true
  fi
  if [ -n "$tmp" ]; then
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT

url="${TAGFLOW_PROMETHEUS_URL:-}"
if [ -z "$url" ]; then
  port="${TAGFLOW_PROMETHEUS_PORT:-19090}"
  url="http://127.0.0.1:$port"
  tmp="$(mktemp -d)"
  log "starting Prometheus on $url (data and log in $tmp)"
  prometheus \
    --config.file="$prom_dir/prometheus.local.yml" \
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
fi

log "live queries on $url"
status=0
(cd test/deploy && TAGFLOW_LIVE=1 TAGFLOW_PROMETHEUS_URL="$url" \
  go test -count=1 -run '^TestLive' -v ./...) || status=$?
if [ "$status" -ne 0 ] && [ -n "$tmp" ]; then
  echo "Prometheus log tail:" >&2
  tail -n 20 "$tmp/prometheus.log" >&2
fi
exit "$status"
