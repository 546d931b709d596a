# airsign — see README.md. `make test` is what CI runs; `make demo` is the tour.
GO       ?= go
FUZZTIME ?= 3s
BENCHTIME ?= 1s
PKG      ?= ./...
COUNT    ?= 20
RUN      ?= .
LOAD     ?= 0

# fyne (the kiosk GUI) needs the X11/GL headers; zbar-tools and qrencode are the independent
# QR decoder and encoder our image tests check against; chromium is the browser the web UI's
# end-to-end test (online/web TestBrowser) drives through playwright-core; electrum
# is the independent wallet the conformance suite (make interop) drives offline; postgresql
# is the server the store's tests start for themselves (online/store/pgtest).
APT_PACKAGES := pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev \
                libxinerama-dev libxi-dev libxxf86vm-dev zbar-tools qrencode chromium electrum \
                postgresql
# The browser test's npm package (playwright-core only, pinned by its lockfile; it never
# downloads browsers of its own).
E2E_DIR := ui/web/e2e
# The conformance suite's npm packages (independent PSBT, descriptor, UR and
# BBQr libraries, pinned by their lockfile).
INTEROP_DIR := testdata/interop
# make screenshots also needs a virtual display and ImageMagick's import.
SHOT_PACKAGES := xvfb xauth imagemagick

BINARIES := airsign-kiosk airsign-coordinator airsign-audit

.PHONY: all build test check unit fuzz bench demo deps clean screenshots web-shots flakes interop

all: build

# deps installs what the tests need: missing Debian packages (when run as
# root with apt-get; otherwise it says what to install) and the Go modules.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done | tr '\n' ' '); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "make: installing Debian packages: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "make: missing Debian packages, install them as root: apt-get install $$missing"; \
	  fi; \
	fi
	$(GO) mod download
	@if command -v npm >/dev/null 2>&1; then \
	  for dir in $(E2E_DIR) $(INTEROP_DIR); do \
	    if [ ! -f $$dir/node_modules/.package-lock.json ] || [ $$dir/package-lock.json -nt $$dir/node_modules/.package-lock.json ]; then \
	      echo "make: npm ci in $$dir"; \
	      (cd $$dir && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) || exit 1; \
	    fi; \
	  done; \
	else \
	  echo "make: node and npm (Node.js 20 or later) are missing: the browser test and make interop will skip (or fail with AIRSIGN_REQUIRE_TOOLS=1)"; \
	fi

build:
	@mkdir -p bin
	$(GO) build -o bin/ $(addprefix ./cmd/,$(BINARIES))
	$(GO) build -o bin/btcd github.com/btcsuite/btcd

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# unit also runs the tests of concurrent use (named TestConcurrent…) under
# the race detector: the coordinator's API and web requests run at once.
RACE_PKGS := ./psbt/auditlog ./online/store ./online/coordinator ./online/web
unit:
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) test -race -count=1 -run '^TestConcurrent' $(RACE_PKGS)

# fuzz runs every fuzz target for FUZZTIME each (make fuzz FUZZTIME=5m for a
# real session).
#
# Go 1.26's fuzz coordinator can race its own -fuzztime deadline and fail a
# target with a bare "context deadline exceeded" (go.dev/issue/75804, fixed
# in Go 1.27): such a run, and only one that wrote no failing input, is run
# again, up to three tries in all (one CI run in three hit the race once on
# a busy machine). A real finding always writes its input and fails at once.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    for try in 1 2 3; do \
	      echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
	      if $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg >$$log 2>&1; then cat $$log; break; fi; \
	      cat $$log; \
	      if [ $$try -lt 3 ] && grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then \
	        echo "fuzz: the Go fuzz coordinator raced its -fuzztime deadline (go.dev/issue/75804); no failing input was written; running $$target again"; \
	      else exit 1; fi; \
	    done; \
	  done; \
	done

test: deps check unit fuzz

# interop: the conformance suite alone, one PASS or FAIL line per case and
# tool with its version (make unit runs it too, with the rest of ./...).
# docs/interop.md has the matrix.
interop: deps
	$(GO) test -count=1 -v -run '^TestInterop$$' ./cmd/internal/interop

# flakes: run packages' tests again and again, each run a fresh process, and
# say which tests failed in which runs (logs in flakes-out/). LOAD=2 keeps two
# cores busy beside them, as a loaded CI machine would.
#   make flakes PKG=./online/web COUNT=20 [RUN=TestBrowser] [LOAD=2] [FLAGS=-race]
flakes:
	PKG="$(PKG)" COUNT="$(COUNT)" RUN="$(RUN)" LOAD="$(LOAD)" FLAGS="$(FLAGS)" GO="$(GO)" bash .ci/flakes

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) ./...

# screenshots: the kiosk app's main screens, full screen on a virtual
# 1280x800 display, captured with ImageMagick's import into docs/screenshots
# (needs xvfb, xauth and imagemagick: make deps).
screenshots: deps
	@missing=$$(for p in $(SHOT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done | tr '\n' ' '); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else echo "make: install as root: apt-get install $$missing"; exit 1; fi; \
	fi
	@mkdir -p docs/screenshots
	$(GO) build -o bin/shots ./ui/kioskapp/internal/shots
	LANG=en_US.UTF-8 xvfb-run -a -s "-screen 0 1280x800x24" bin/shots -out docs/screenshots

# web-shots: the treasury web UI's pages, as the browser test walks through
# them in headless chromium, into docs/screenshots/web-*.png.
web-shots: deps
	@mkdir -p docs/screenshots
	AIRSIGN_WEB_SHOTS=$(CURDIR)/docs/screenshots $(GO) test -count=1 -run '^TestBrowser$$' ./online/web

# demo: the whole product, narrated, in ./demo-run: a 2-of-3 ceremony, a btcd
# regtest node and the coordinator, an approved withdrawal signed at the kiosk
# from QR frames, broadcast and confirmed, and the auditor checking it all.
# The demo uses the kiosk's command line only, so it builds the kiosk without
# its GUI (-tags nogui): no X11 headers, no cgo, and a fresh machine is
# through in a few minutes. make build makes the full app.
DEMO_BIN := bin/demo
demo:
	@mkdir -p $(DEMO_BIN)
	$(GO) build -tags nogui -o $(DEMO_BIN)/ $(addprefix ./cmd/,$(BINARIES))
	$(GO) build -o $(DEMO_BIN)/btcd github.com/btcsuite/btcd
	$(GO) run ./cmd/airsign-demo --bin $(DEMO_BIN) --dir demo-run

clean:
	rm -rf bin demo-run flakes-out
