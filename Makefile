# aeoledger: two commands on a fresh clone with Go installed.
#   make demo   build, start an embedded node in a temp folder, record a full shipment journey
#   make test   go test -race ./... plus a short fuzz pass
GO        ?= go
BIN       := bin
FUZZTIME  ?= 3s

.PHONY: all build demo test race fuzz vet fmt bench cover clean

all: build

build:
	$(GO) build -o $(BIN)/aeoledger ./cmd/aeoledger
	$(GO) build -o $(BIN)/aeoledger-chaincode ./cmd/aeoledger-chaincode

demo: build
	$(BIN)/aeoledger demo

test: vet race fuzz

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (echo "gofmt needed:"; gofmt -l .; exit 1)
	$(GO) vet ./...

race:
	$(GO) test -race -count=1 -timeout 30m ./...

# Every Fuzz target in the module runs briefly (FUZZTIME each). A failure
# counts when the fuzzer wrote a failing input to testdata/fuzz/, or gave
# any error other than the engine's own stops at the -fuzztime boundary
# ("context deadline exceeded", golang/go#51484; a worker "hung or
# terminated unexpectedly" without an input, golang/go#56238); after such a
# stop the target's corpus is replayed and must pass.
fuzz:
	@set -e; out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
	    echo "fuzz $$pkg $$f"; \
	    before=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l); \
	    if ! $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg >$$out 2>&1; then \
	      cat $$out; \
	      after=$$(ls $$dir/testdata/fuzz/$$f 2>/dev/null | wc -l); \
	      if [ "$$after" -gt "$$before" ] || ! grep -Eq 'context deadline exceeded|fuzzing process hung or terminated unexpectedly' $$out; then exit 1; fi; \
	      echo "fuzz $$f: the engine stopped without a failing input; replaying its corpus"; \
	      $(GO) test -count=1 -run "^$$f$$" $$pkg; \
	    fi; \
	  done; \
	done

cover:
	$(GO) test -cover ./schemas/... ./chaincode/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf $(BIN)
