# Two commands for a new machine: `make demo` and `make test`.
# Both first install what is missing (scripts/setup.sh), then build.

GO ?= go
BIN := bin
export OPENCV_LOG_LEVEL := SILENT

.PHONY: all setup build demo test bench fuzz vet fmt clean

all: build

setup:
	@scripts/setup.sh

build: setup
	$(GO) build -o $(BIN)/ ./cmd/...

demo: build
	@scripts/demo.sh

# The whole suite, as CI runs it (.ci/run). Kept well under 15 minutes.
test: setup
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1; }
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -count=1 -timeout 20m ./...

# Every benchmark; prints one `bench: NAME VALUE UNIT` line per named figure.
bench: build
	@scripts/setup.sh zxing-cpp-tools zbar-tools nodejs
	@scripts/bench.sh

# Fuzz the payload parser and verifier (FUZZTIME=1m by default).
FUZZTIME ?= 1m
fuzz: setup
	$(GO) test ./healthcode -run '^$$' -fuzz FuzzVerify -fuzztime $(FUZZTIME)

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf $(BIN)
