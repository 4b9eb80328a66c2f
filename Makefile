# casepack: fills DOCX, ODT and text templates with case data.
#
#   make            build build/casepack
#   make deps       install the Debian packages casepack needs (as root)
#   make check      fast tests (unit, command line; the Mustache spec with SPEC=DIR)
#   make check-office  tests that open documents in LibreOffice
#   make test       everything: check + check-office (what CI runs)
#   make asan       the whole suite under AddressSanitizer + UBSan (asan-check: the fast part)
#   make fuzz       libFuzzer targets in build/fuzz (fuzz-run FUZZ_SECONDS=N runs each)
#   make faults     fail write/fsync/rename/close/malloc/zip_close one call at a time
#   make valgrind   the command-line tests under valgrind memcheck
#   make quickstart install packages, build, render the shipped example (make demo)
#   make spec SPEC=DIR   the official Mustache spec from a folder of its JSON files
#   make bench      throughput and memory figures
#   make install    PREFIX=/usr/local DESTDIR=
#   make format     clang-format over src/ and tests/
#   V=1             show the commands

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/casepack
BUILD   ?= build
CC      ?= cc
SPEC    ?=

# Debian packages behind each library, for the message when one is missing
# and for `make deps`.
PKGS_pkgconfig := libxml-2.0 libzip libpcre2-8 libfyaml icu-uc icu-i18n libcrypto zlib
DEB_libxml-2.0 := libxml2-dev
DEB_libzip     := libzip-dev
DEB_libpcre2-8 := libpcre2-dev
DEB_libfyaml   := libfyaml-dev
DEB_icu-uc     := libicu-dev
DEB_icu-i18n   := libicu-dev
DEB_libcrypto  := libssl-dev
DEB_zlib       := zlib1g-dev
DEB_BUILD := build-essential pkg-config libxml2-dev libzip-dev libpcre2-dev libfyaml-dev \
             libicu-dev libssl-dev libcsv-dev zlib1g-dev
DEB_TEST  := python3 python3-docx python3-odf poppler-utils libreoffice-writer-nogui \
             p7zip-full fonts-dejavu-core fonts-liberation2 time

ifeq ($(V),1)
Q :=
else
Q := @
endif

NEEDS_LIBS := $(filter-out deps clean format help quickstart,$(if $(MAKECMDGOALS),$(MAKECMDGOALS),all))
ifneq ($(NEEDS_LIBS),)
  MISSING := $(strip $(foreach p,$(PKGS_pkgconfig),$(if $(shell pkg-config --exists $(p) && echo y),,$(p))))
  ifneq ($(MISSING),)
    $(error missing libraries: $(MISSING). Install the Debian packages $(sort $(foreach p,$(MISSING),$(DEB_$(p)))) (or run `make deps` as root))
  endif
  ifeq ($(wildcard /usr/include/csv.h),)
    $(error missing libcsv. Install the Debian package libcsv-dev (or run `make deps` as root))
  endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS_pkgconfig) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS_pkgconfig) 2>/dev/null) -lcsv -lpthread -lm

WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(CI),true)
WARN    += -Werror
endif
OPT     ?= -O2 -g
CFLAGS  ?=
CPPFLAGS_ALL := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
                -DCASEPACK_DATADIR='"$(DATADIR)"' -Isrc $(PKG_CFLAGS)
CFLAGS_ALL   := -std=c11 $(WARN) $(OPT) $(SAN) $(CFLAGS)
LDFLAGS_ALL  := $(SAN) $(LDFLAGS)

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/main.o
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN := $(BUILD)/bench/bench
FAULTS_SO := build/faults/inject.so

.PHONY: kit-templates all deps check check-office test asan asan-check spec bench install clean format help unit-bins quickstart demo
.PHONY: fuzz fuzz-bins fuzz-run faults valgrind

all: $(BUILD)/casepack

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) | $(BUILD)/obj
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libcasepack.a: $(LIB_OBJ)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/casepack: $(MAIN_OBJ) $(BUILD)/libcasepack.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libcasepack.a | $(BUILD)/tests
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/unit $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libcasepack.a $(PKG_LIBS)

$(BENCH_BIN): tests/bench/bench.c $(BUILD)/libcasepack.a | $(BUILD)/bench
	$(Q)$(CC) $(CPPFLAGS_ALL) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libcasepack.a $(PKG_LIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/bench:
	$(Q)mkdir -p $@

unit-bins: $(UNIT_BIN)

# The test runner prints one line per test and ends with "N passed, N failed".
check: all unit-bins
	$(Q)BUILD=$(BUILD) SPEC='$(SPEC)' tests/run fast

check-office: all unit-bins
	$(Q)BUILD=$(BUILD) SPEC='$(SPEC)' tests/run office

test: all unit-bins $(FAULTS_SO)
	$(Q)BUILD=$(BUILD) SPEC='$(SPEC)' tests/run all

spec: all
	$(Q)test -n "$(SPEC)" || { echo "usage: make spec SPEC=DIR (a folder of the Mustache spec's JSON files)"; exit 2; }
	$(Q)BUILD=$(BUILD) SPEC='$(SPEC)' tests/run spec

# The whole suite again, built with AddressSanitizer and UBSan in its own
# folder; asan-check is the fast part of it.
ASAN_MAKE = $(MAKE) --no-print-directory BUILD=build/asan CC=clang OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=address,undefined -fno-sanitize-recover=undefined'
asan:
	$(Q)$(ASAN_MAKE) test
asan-check:
	$(Q)$(ASAN_MAKE) check

# One libFuzzer target per parser entry point (tests/fuzz/fuzz_*.c), linked
# against the library built with coverage and sanitizers in build/fuzz
# (without main.c). fuzz-run runs each for FUZZ_SECONDS from its seed corpus
# (FUZZ_JOBS at a time) and fails on any crash, leak, timeout or
# out-of-memory.
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_SRC     := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_SRC     := $(filter-out tests/fuzz/fuzz_common.c,$(FUZZ_SRC))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/%)
FUZZ_MAKE = $(MAKE) --no-print-directory BUILD=build/fuzz CC=clang OPT='-O1 -g -fno-omit-frame-pointer' \
	    SAN='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined'
fuzz:
	$(Q)$(FUZZ_MAKE) fuzz-bins
fuzz-bins: $(FUZZ_BIN)
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.c tests/fuzz/fuzz.h $(BUILD)/libcasepack.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS_ALL) -Itests/fuzz $(CFLAGS_ALL) $(LDFLAGS_ALL) -fsanitize=fuzzer -o $@ \
	    $< tests/fuzz/fuzz_common.c $(BUILD)/libcasepack.a $(PKG_LIBS)
fuzz-run: fuzz
	$(Q)FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) tests/fuzz/run $(FUZZ_SRC:tests/fuzz/%.c=%)

# Fault injection: an LD_PRELOAD shim fails the Nth write, fsync, rename,
# close, malloc or zip_close (tests/faults/inject.c); the sweep fails each
# call of a clean run in turn and checks status, message and leftovers.
$(FAULTS_SO): tests/faults/inject.c
	$(Q)mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) -std=c11 $(WARN) -O2 -g -fPIC -shared -D_GNU_SOURCE $(shell pkg-config --cflags libzip) \
	    -o $@ $< -ldl
faults: all $(FAULTS_SO)
	$(Q)BUILD=$(BUILD) tests/run faults

# The command-line tests with casepack under valgrind memcheck: any error
# or definitely lost block fails the test (exit status 99).
valgrind: all
	$(Q)BUILD=$(BUILD) tests/run valgrind

# The README's first command: packages, build, and the shipped example.
quickstart:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory demo

demo: all
	$(Q)mkdir -p out
	$(Q)SOURCE_DATE_EPOCH=1800230400 $(BUILD)/casepack package examples/ua-refugee-appeal/case.yaml -o out --force
	$(Q)$(BUILD)/casepack verify out/vershynin-2027-claim.zip
	$(Q)unzip -l out/vershynin-2027-claim.zip

bench: all $(BENCH_BIN)
	$(Q)BUILD=$(BUILD) tests/bench/run

# Installs only what is missing; as a user it goes through sudo.
deps:
	@missing=$$(for p in $(DEB_BUILD) $(DEB_TEST); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "all Debian packages casepack needs are installed"; exit 0; fi; \
	sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "installing: $$missing"; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing

# Regenerates the kits' DOCX and ODT templates from their .fodt sources
# (needs LibreOffice); commit the results, rendering never needs it.
kit-templates:
	tests/fixtures-gen/build_kits.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(BUILD)/casepack $(DESTDIR)$(BINDIR)/casepack
	cp -R templates/. $(DESTDIR)$(DATADIR)/

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/unit/*.h

clean:
	rm -rf build

help:
	@sed -n '2,17p' Makefile | sed 's/^# \{0,1\}//'
