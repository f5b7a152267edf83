# The README's commands. `make help` lists them.
GO       ?= go
BIN      := bin/lms
PKGS     := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build the lms binary into bin/
	@test -f $(BIN) || echo "Building lms. The first build compiles the embedded database too: about 2–3 minutes on 2 cores, with no output meanwhile."
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/lms

.PHONY: run
run: build ## build and start the API on the embedded database (no configuration needed)
	./$(BIN) serve

.PHONY: test
test: ## run the whole test suite (race detector on; embedded database and stripe-mock started by the tests)
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

.PHONY: bench
bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# LOADTEST_ARGS chooses the data set and the load, e.g.
# make loadtest LOADTEST_ARGS="-courses 200 -users 1000 -progress 5000 -duration 5s -concurrency 32"
# (go run ./cmd/loadtest -h lists every flag). The default is issue 17's data set.
LOADTEST_ARGS ?=

.PHONY: loadtest
loadtest: ## seed a fresh embedded database and measure the scenarios (LOADTEST_ARGS="-courses 200 …")
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/loadtest ./cmd/loadtest
	./bin/loadtest $(LOADTEST_ARGS)

.PHONY: fuzz
fuzz: ## run every fuzz target for FUZZTIME each (default 30s)
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $${FUZZTIME:-30s} $$pkg || exit 1; \
	  done; \
	done

.PHONY: lint
lint: ## gofmt, go vet and staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

.PHONY: client
client: ## generate TypeScript types from the OpenAPI document (needs Node) into CLIENT_DIR and compile-check them
	scripts/client.sh $(CLIENT_DIR)

.PHONY: docs-ui
docs-ui: ## re-vendor the reference page's Swagger UI from npm (VERSION=x.y.z to change it)
	scripts/vendor-docs-ui.sh $(VERSION)

.PHONY: stripe-mock
stripe-mock: ## run stripe-mock on :12111 for trying payments by hand
	$(GO) tool stripe-mock -http-port 12111

.PHONY: docker
docker: ## build the container image
	docker build -t lms .

.PHONY: clean
clean: ## remove build output and the development data directory
	rm -rf bin data
