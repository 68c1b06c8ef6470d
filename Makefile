# tagflow — see README.md. Every target works without Docker except `up`.
GO      ?= go
BIN     := bin
CMDS    := ingest worker tagtog-emulator tagflowctl devstack
EXPORT  ?= ../shared/data/tagtog-export
FUZZTIME ?= 10s

.PHONY: all build run run-export test test-short fuzz fuzz-short lint vet bench chaos check-deploy up down clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -o $(BIN)/ $(addprefix ./cmd/,$(CMDS))

## run: the whole stack on this machine (embedded NATS, emulator, ingest, worker).
run: build
	$(BIN)/devstack -bin $(BIN)

## run-export: the same stack, bulk-importing a tagtog export folder (EXPORT=dir), then a summary.
run-export: build
	$(BIN)/devstack -bin $(BIN) -load $(EXPORT) -exit-when-done

## test: what CI runs.
test: vet
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz-short FUZZTIME=3s

vet:
	$(GO) vet ./...
	@fmt=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$fmt" ]; then echo "gofmt needed:"; echo "$$fmt"; exit 1; fi

## fuzz-short: every fuzz target for FUZZTIME each (CI runs it briefly).
fuzz-short:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >/dev/null || { $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; exit 1; }; \
	  done; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=2m

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

clean:
	rm -rf $(BIN) .run
