# assay — build, test, demo.  `make check` and `make demo` install missing
# Debian packages first (as root, non-interactively).
PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := yaml-0.1 jansson libcurl sqlite3 libpcre2-8 libmicrohttpd libxml-2.0 lua5.4 nettle zlib libpq
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
           $(PKG_CFLAGS)
# libcurl, libxml2, libmicrohttpd and libpq are not linked: src/util/*_dl.c load
# them on first use (their dependencies cost milliseconds at every start).
LDLIBS  := $(filter-out -lcurl -lxml2 -lmicrohttpd -lpq,$(shell pkg-config --libs $(PKGS) 2>/dev/null)) \
           -ljq -lpg_query -lcsv -lm -lpthread -ldl

BUILD   ?= build
SRC     := $(shell find src -name '*.c' | sort)
LIBSRC  := $(filter-out src/main.c,$(SRC))
OBJ     := $(LIBSRC:%.c=$(BUILD)/%.o)
TSRC    := $(shell find tests/unit -name '*.c' | sort)
TOBJ    := $(TSRC:%.c=$(BUILD)/%.o)
# Fuzz targets (fuzz/*.c) and their replay programs (see `make fuzz`).
FUZZ_TARGETS ?= $(basename $(notdir $(wildcard fuzz/*.c)))
FUZZ_SECONDS ?= 60
FOBJ    := $(patsubst %.c,$(BUILD)/%.o,$(wildcard fuzz/*.c fuzz/driver/*.c))
REPLAY  := $(patsubst fuzz/%.c,$(BUILD)/fuzz-replay/%,$(wildcard fuzz/*.c))

# Debian packages the build, the tests and the benchmarks need.
DEB_PKGS := gcc make pkg-config libyaml-dev libjansson-dev \
            libcurl4-openssl-dev libsqlite3-dev libpcre2-dev \
            libmicrohttpd-dev libcsv-dev libxml2-dev liblua5.4-dev libjq-dev \
            nettle-dev libpg-query-dev zlib1g-dev libpq-dev postgresql sqlite3 jq curl wrk time valgrind python3 \
            groff-base man-db zsh binutils dpkg-dev
# Only `make fuzz` and `make lint` need these (installed by those targets).
FUZZ_PKGS := clang libclang-rt-14-dev
LINT_PKGS := clang-tidy cppcheck
# Only `make bench` needs these (bench/scale.sh's fixed-answer server).
BENCH_PKGS := nginx-light

.PHONY: all deps browser-deps check test test-asan demo bench install install-files uninstall deb clean \
        fuzz fuzz-build lint valgrind failalloc
all: $(BUILD)/assay

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(BUILD)/assay: $(OBJ) $(BUILD)/src/main.o
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS) $(LDFLAGS)

$(BUILD)/unit_tests: $(OBJ) $(TOBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS) $(LDFLAGS)

# The compiler flags of the last build, rewritten only when they change: every
# object depends on it, so `make check` (-Werror) after a plain `make` builds
# fresh objects instead of reusing ones compiled without -Werror.
FLAGS_STAMP := $(BUILD)/.cflags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS)' >$@
.PHONY: FORCE
FORCE:

$(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

# .incbin reads these when the assets object is assembled (report_html_assets.c).
$(BUILD)/src/report/report_html_assets.o: src/report/assets/report.js src/report/assets/report.css

$(BUILD)/src/view/view_assets.o: src/view/assets/index.html src/view/assets/app.js src/view/assets/app.css

$(BUILD)/src/score/code_worker_assets.o: src/score/workers/worker.js src/score/workers/worker.py

-include $(OBJ:.o=.d) $(TOBJ:.o=.d) $(BUILD)/src/main.d $(FOBJ:.o=.d)

# What the browser tests need: Node.js, Debian's Chromium and playwright-core
# (npm, pinned by tests/browser/package-lock.json).
browser-deps:
	@missing=""; command -v node >/dev/null 2>&1 || missing="nodejs npm"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@[ -d tests/browser/node_modules/playwright-core ] || \
	  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)

# The whole suite twice: an optimised -Werror build, then ASan + UBSan.
check: deps browser-deps
	$(MAKE) --no-print-directory test EXTRA_CFLAGS=-Werror
	$(MAKE) --no-print-directory test-asan

test: $(BUILD)/assay $(BUILD)/unit_tests $(REPLAY)
	ASSAY=$(abspath $(BUILD)/assay) UNIT=$(abspath $(BUILD)/unit_tests) \
	  FUZZ_REPLAY=$(abspath $(BUILD)/fuzz-replay) tests/run.sh

# The ASan build is also the allocation-failure build (-DASSAY_FAIL_ALLOC,
# src/util/xalloc.c): tests/cli/failalloc.sh runs there.
test-asan:
	$(MAKE) --no-print-directory test BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_CFLAGS="-Werror -DASSAY_FAIL_ALLOC"

# deps first, then a fresh make: pkg-config flags are read when make starts.
demo: deps
	$(MAKE) --no-print-directory $(BUILD)/assay
	ASSAY=$(abspath $(BUILD)/assay) examples/quickstart/demo.sh

bench:
	$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(BENCH_PKGS)"
	$(MAKE) --no-print-directory $(BUILD)/assay
	ASSAY=$(abspath $(BUILD)/assay) bench/run.sh
	ASSAY=$(abspath $(BUILD)/assay) bench/load.sh
	bench/grade.sh
	ASSAY=$(abspath $(BUILD)/assay) bench/loop_cpu.sh
	ASSAY=$(abspath $(BUILD)/assay) bench/report.sh
	ASSAY=$(abspath $(BUILD)/assay) bench/view.sh
	ASSAY=$(abspath $(BUILD)/assay) bench/sample.sh
	ASSAY=$(abspath $(BUILD)/assay) bench/scale.sh

# ---- fuzzing (fuzz/README.md) -------------------------------------------
# One target per fuzz/*.c.  `make test` builds a replay program per target
# with $(CC) (fuzz/driver/replay.c, no clang needed) and
# tests/cli/fuzz_replay.sh feeds it fuzz/corpus/<target>/.  `make fuzz`
# builds the libFuzzer binaries with clang in build-fuzz/ and runs each for
# FUZZ_SECONDS (FUZZ_TARGETS="sse template" picks some).

.SECONDARY: $(FOBJ)
$(BUILD)/fuzz-replay/%: $(OBJ) $(BUILD)/fuzz/%.o $(BUILD)/fuzz/driver/replay.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.o,$^) $(LDLIBS) $(LDFLAGS)

$(BUILD)/fuzz-bin/%: $(OBJ) $(BUILD)/fuzz/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(LDLIBS) $(LDFLAGS)

fuzz-build:
	$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
	  CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  $(FUZZ_TARGETS:%=build-fuzz/fuzz-bin/%)

fuzz:
	$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(FUZZ_PKGS)"
	$(MAKE) --no-print-directory fuzz-build
	scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# ---- static analysis and valgrind ---------------------------------------
# clang-tidy (.clang-tidy), cppcheck and scripts/banned.sh over src/.
lint:
	$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_PKGS) $(LINT_PKGS)"
	CFLAGS_LINT="-std=c11 -D_GNU_SOURCE -Isrc $(PKG_CFLAGS)" scripts/lint.sh

# `assay run` / show / stats of a small suite under memcheck (also part of
# the first pass of make check, as tests/cli/valgrind.sh).
valgrind: deps
	$(MAKE) --no-print-directory $(BUILD)/assay
	ASSAY=$(abspath $(BUILD)/assay) sh tests/cli/valgrind.sh

# The allocation-failure build (build-oom/: -DASSAY_FAIL_ALLOC, ASan +
# UBSan) run with the Nth allocation failing, over N (scripts/failalloc.sh).
failalloc: deps
	$(MAKE) --no-print-directory $(BUILD)/assay
	$(MAKE) --no-print-directory BUILD=build-oom EXTRA_CFLAGS=-DASSAY_FAIL_ALLOC \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  build-oom/assay
	ASSAY=$(abspath $(BUILD)/assay) ASSAY_OOM=$(abspath build-oom/assay) scripts/failalloc.sh

# The binary, the man page and the bash/zsh completions.  install-files
# copies an already built BIN (scripts/mkdeb.sh stages a package with it).
BIN ?= $(BUILD)/assay
install: $(BUILD)/assay
	$(MAKE) --no-print-directory install-files BIN=$(BUILD)/assay

install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
	  $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/assay
	install -m 644 docs/assay.1 $(DESTDIR)$(PREFIX)/share/man/man1/assay.1
	install -m 644 completions/assay.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/assay
	install -m 644 completions/_assay $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_assay
	install -d $(DESTDIR)$(PREFIX)/share/assay/packs
	install -m 644 packs/*.yaml $(DESTDIR)$(PREFIX)/share/assay/packs/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/assay $(DESTDIR)$(PREFIX)/share/man/man1/assay.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/assay \
	  $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_assay
	rm -rf $(DESTDIR)$(PREFIX)/share/assay/packs

# A Debian package in build/deb/, its Depends computed from the binary.
deb: $(BUILD)/assay
	scripts/mkdeb.sh $(BUILD)/assay $(BUILD)/deb

clean:
	rm -rf build build-asan build-fuzz build-oom
