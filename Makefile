# tagflow — see README.md. Every target works without Docker except `up`.
GO      ?= go
BIN     := bin
CMDS    := ingest worker tagtog-emulator tagflowctl devstack
EXPORT  ?= ../shared/data/tagtog-export
FUZZTIME ?= 10s
BENCHFLAGS ?=
FUZZMIN ?= 2000x

.PHONY: all build run run-export test fuzz fuzz-short lint vet deploy-static bench bench-quick chaos check-deploy check-deploy-static browser up up-real down images clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ $(addprefix ./cmd/,$(CMDS))

## run: the whole stack on this machine (embedded NATS, emulator, ingest, worker).
run: build
	$(BIN)/devstack -bin $(BIN)

## run-export: the same stack, bulk-importing a tagtog export folder (EXPORT=dir), then a summary.
run-export: build
	@test -d "$(EXPORT)/plain.html" || { echo "EXPORT=$(EXPORT) is not a tagtog export folder (no plain.html/ in it): pass EXPORT=dir"; exit 2; }
	$(BIN)/devstack -bin $(BIN) -load $(EXPORT) -exit-when-done

## test: what CI runs: vet, the race-enabled test suite (with the short fault
## suite), every fuzz target briefly and the static deployment checks.
test: vet
	$(GO) test -race -count=1 -timeout 15m ./...
	$(MAKE) fuzz-short FUZZTIME=20000x
	$(MAKE) deploy-static

## deploy-static: compose, dashboards, PromQL and kustomize checks (a module of their own).
deploy-static:
	cd test/deploy && $(GO) test -count=1 ./...

## check-deploy-static: deploy-static plus promtool (installs Debian's prometheus if missing).
check-deploy-static:
	scripts/check-deploy.sh

## check-deploy: start the local stack with traffic, let a real Prometheus scrape it and
## evaluate every dashboard and alert expression against it. The NATS dashboard's panels
## need prometheus-nats-exporter: set TAGFLOW_NATS_EXPORTER=/path/to/prometheus-nats-exporter
## (without it they are reported as skipped).
check-deploy: build
	@set -e; mkdir -p .run; \
	$(BIN)/devstack -bin $(BIN) -generate 300 -workers 2 > .run/check-deploy.log 2>&1 & pid=$$!; \
	trap 'kill -INT $$pid 2>/dev/null; wait $$pid 2>/dev/null || true' EXIT; \
	for i in $$(seq 1 120); do grep -q "Running since" .run/check-deploy.log && break; sleep 1; done; \
	TAGFLOW_LIVE=1 scripts/check-deploy.sh

## chaos: the full fault suite (worker SIGKILL, NATS restart, injected tagtog faults, poison
## documents, slow pushes); figures in RELIABILITY.md. CI runs its short version in `test`.
chaos:
	TAGFLOW_CHAOS=1 $(GO) test -count=1 -v -timeout 30m ./test/chaos

# The export folder is optional for the benchmarks: without it the annotator is measured on
# generated text only.
EXPORTFLAG = $(if $(wildcard $(EXPORT)/plain.html),-export $(EXPORT),)

## bench: ingest vs raw JetStream, the builtin annotator, end to end with 1/2/4 workers.
## The table is printed and written to bench/results/<time>.json.
bench: build
	$(GO) run ./cmd/tagflow-bench -bin $(BIN) $(EXPORTFLAG) -out bench/results $(BENCHFLAGS)

## bench-quick: a smoke run with small sizes (~1 min); its result goes to a temporary folder
## and its MET column is not comparable with the targets.
bench-quick: build
	$(GO) run ./cmd/tagflow-bench -bin $(BIN) $(EXPORTFLAG) -quick -out $$(mktemp -d)

## browser: the emulator's web page in headless Chromium (installs it if missing).
browser:
	cd test/browser && $(GO) vet ./...
	scripts/browser-test.sh

## up: the full stack in Docker (NATS, exporter, ingest, workers, emulator, Prometheus, Grafana).
up:
	docker compose up -d --build

up-real:
	docker compose -f docker-compose.yml -f deployments/compose/real-tagtog.yml up -d --build

down:
	docker compose down

images:
	for t in ingest worker tagtog-emulator tagflowctl; do \
	  docker build -f deployments/docker/Dockerfile --target $$t -t tagflow/$$t:$${TAGFLOW_VERSION:-dev} . || exit 1; \
	done

vet:
	$(GO) vet ./...
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi

## fuzz-short: every fuzz target for FUZZTIME each (a duration, or Nx executions; CI runs
## 20000 executions each: a count avoids the fuzzer's spurious "context deadline exceeded").
fuzz-short:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) -timeout 5m $$pkg >/dev/null || { $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMIN) -timeout 5m $$pkg; exit 1; }; \
	  done; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=2m

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf $(BIN) .run
