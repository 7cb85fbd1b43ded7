# assay — build, test, demo.  `make check` and `make demo` install missing
# Debian packages first (as root, non-interactively).
PREFIX  ?= /usr/local
CC      ?= cc
PKGS    := yaml-0.1 jansson libcurl sqlite3 libpcre2-8 libmicrohttpd libxml-2.0 lua5.4 libmd
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Isrc $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) \
           $(PKG_CFLAGS)
# libcurl, libxml2 and libmicrohttpd are not linked: src/util/*_dl.c load
# them on first use (their dependencies cost milliseconds at every start).
LDLIBS  := $(filter-out -lcurl -lxml2 -lmicrohttpd,$(shell pkg-config --libs $(PKGS) 2>/dev/null)) \
           -ljq -lpg_query -lcsv -lm -lpthread -ldl

BUILD   ?= build
SRC     := $(shell find src -name '*.c' | sort)
LIBSRC  := $(filter-out src/main.c,$(SRC))
OBJ     := $(LIBSRC:%.c=$(BUILD)/%.o)
TSRC    := $(shell find tests/unit -name '*.c' | sort)
TOBJ    := $(TSRC:%.c=$(BUILD)/%.o)

# Debian packages the build, the tests and the benchmarks need.
DEB_PKGS := gcc make pkg-config libyaml-dev libjansson-dev \
            libcurl4-openssl-dev libsqlite3-dev libpcre2-dev \
            libmicrohttpd-dev libcsv-dev libxml2-dev liblua5.4-dev libjq-dev \
            libmd-dev libpg-query-dev sqlite3 jq curl wrk time python3

.PHONY: all deps check test test-asan demo bench install clean
all: $(BUILD)/assay

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
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

-include $(OBJ:.o=.d) $(TOBJ:.o=.d) $(BUILD)/src/main.d

# The whole suite twice: an optimised -Werror build, then ASan + UBSan.
check: deps
	$(MAKE) --no-print-directory test EXTRA_CFLAGS=-Werror
	$(MAKE) --no-print-directory test-asan

test: $(BUILD)/assay $(BUILD)/unit_tests
	ASSAY=$(abspath $(BUILD)/assay) UNIT=$(abspath $(BUILD)/unit_tests) tests/run.sh

test-asan:
	$(MAKE) --no-print-directory test BUILD=build-asan \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_CFLAGS=-Werror

# deps first, then a fresh make: pkg-config flags are read when make starts.
demo: deps
	$(MAKE) --no-print-directory $(BUILD)/assay
	ASSAY=$(abspath $(BUILD)/assay) examples/quickstart/demo.sh

bench: deps
	$(MAKE) --no-print-directory $(BUILD)/assay
	ASSAY=$(abspath $(BUILD)/assay) bench/run.sh
	bench/grade.sh

install: $(BUILD)/assay
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/assay $(DESTDIR)$(PREFIX)/bin/assay

clean:
	rm -rf build build-asan
