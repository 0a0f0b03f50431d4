# fetchtrace - build, test, install.  `make`, `make demo`, `make test`.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ifeq ($(CI),true)
WARN     += -Werror
endif

PCAP_CFLAGS := $(shell pkg-config --cflags libpcap 2>/dev/null)
PCAP_LIBS   := $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
ifeq ($(PCAP_LIBS),)
PCAP_LIBS   := -lpcap
endif
# libcrypto (TLS/QUIC decryption), libnghttp2 (HPACK), libnghttp3 (QPACK)
LIB_MODS    := libcrypto libnghttp2 libnghttp3
LIB_CFLAGS  := $(shell pkg-config --cflags $(LIB_MODS) 2>/dev/null)
# libnghttp2 and libnghttp3 are opened (dlopen) by hpack.c and qpack.c when the first
# HTTP/2 or HTTP/3 decoder is made, not at every start (start-up, issue 15), when the
# soname of the library built against can be read; else they are linked as before.
soname = $(shell objdump -p "$$(pkg-config --variable=libdir $(1) 2>/dev/null)/$(1).so" 2>/dev/null | \
           awk '$$1 == "SONAME" { print $$2 }')
NGHTTP2_SONAME := $(call soname,libnghttp2)
NGHTTP3_SONAME := $(call soname,libnghttp3)
LINK_MODS   := libcrypto
ifneq ($(NGHTTP2_SONAME),)
LIB_CFLAGS  += -DFT_NGHTTP2_SONAME='"$(NGHTTP2_SONAME)"'
else
LINK_MODS   += libnghttp2
endif
ifneq ($(NGHTTP3_SONAME),)
LIB_CFLAGS  += -DFT_NGHTTP3_SONAME='"$(NGHTTP3_SONAME)"'
else
LINK_MODS   += libnghttp3
endif
LIB_LIBS    := $(shell pkg-config --libs $(LINK_MODS) 2>/dev/null || echo $(LINK_MODS:lib%=-l%))
PCAP_CFLAGS += $(LIB_CFLAGS)
PCAP_LIBS   += $(LIB_LIBS) -pthread

# Socket calls through eBPF (issue 14): the BPF object is compiled with clang -target bpf
# and embedded by bpftool's skeleton; libbpf loads it.  Without clang, bpftool or
# libbpf-dev (or off x86_64) fetchtrace is built without it and uses ptrace.
BPF_CLANG ?= clang
BPFTOOL   ?= $(shell command -v bpftool 2>/dev/null || ls /usr/sbin/bpftool 2>/dev/null)
HAVE_BPF  := $(shell command -v $(BPF_CLANG) >/dev/null 2>&1 && [ -n "$(BPFTOOL)" ] && \
               pkg-config --exists libbpf 2>/dev/null && [ "$$(uname -m)" = x86_64 ] && echo yes)
ifeq ($(HAVE_BPF),yes)
BPF_DEF     := -DFT_HAVE_BPF
# libbpf is not linked: calls_bpf.c opens it with dlopen when calls are traced, so
# that a run measuring no socket calls (-- CMD, --pid) loads neither it nor libelf and libz.
endif

VERSION  := 0.1.0
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DFT_VERSION='"$(VERSION)"' -Iinclude -Ibuild $(BPF_DEF) \
             $(WARN) $(PCAP_CFLAGS) $(CFLAGS)

SRCS     := $(wildcard src/*.c)
LIB_SRCS := $(filter-out src/main.c,$(SRCS))
OBJS     := $(SRCS:src/%.c=build/%.o)
HDRS     := $(wildcard include/*.h)

# The sanitizer build the tests run (ASan + UBSan, every UB report fatal).
SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS := $(SRCS:src/%.c=build/san/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:src/%.c=build/san/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/san/%)
# The decryption worker's test under ThreadSanitizer too (clang's; skipped without clang).
TSAN_CC   ?= clang
HAVE_TSAN := $(shell command -v $(TSAN_CC) >/dev/null 2>&1 && echo yes)
ifeq ($(HAVE_TSAN),yes)
TSAN_BINS := build/tsan/test_cwork
endif

.PHONY: all deps demo test unit golden public badinput live install uninstall clean regen bench lab-up lab-down fuzz pot

all: fetchtrace

# Missing libpcap headers: install them (apt-get as root or via sudo), or say how.
deps:
	@sh tests/deps.sh

# Explain mode's Korean text: src/po/ko.po is a gettext catalog and the one place translators
# edit.  Rather than load a compiled .mo with libc's gettext at run time (it needs the file
# installed under a locale directory and a locale the C library has generated, or it falls
# back to English), POSIX awk turns the catalog into a C table that explain.c includes:
# no runtime files, no gettext at build time, and an uninstalled build speaks Korean too.
build/ko_catalog.h: src/po/ko.po src/po/po2c.awk | build/.dir
	awk -f src/po/po2c.awk src/po/ko.po >$@.tmp && mv $@.tmp $@

build/explain.o build/san/explain.o build/fuzz/obj/explain.o: build/ko_catalog.h

# After changing a message in src/explain.c: refresh the template and merge it into ko.po
# (needs gettext's xgettext and msgmerge), then translate what msgmerge marked fuzzy or left empty.
pot:
	xgettext --keyword=N_ --language=C --from-code=UTF-8 --package-name=fetchtrace \
		--package-version=$(VERSION) --no-location -o src/po/fetchtrace.pot src/explain.c
	msgmerge --quiet --update --backup=none src/po/ko.po src/po/fetchtrace.pot

ifeq ($(HAVE_BPF),yes)
build/calls.bpf.o: src/bpf/calls.bpf.c include/calls_raw.h | build/.dir
	$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Iinclude \
		-I/usr/include/$$(uname -m)-linux-gnu -c -o $@ $<

build/calls.skel.h: build/calls.bpf.o
	$(BPFTOOL) gen skeleton $< name calls_bpf >$@.tmp && mv $@.tmp $@

build/calls_bpf.o build/san/calls_bpf.o: build/calls.skel.h
endif

build/%.o: src/%.c $(HDRS) | build/.dir
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

fetchtrace: $(OBJS)
	$(CC) $(CFLAGS) -o $@ $(OBJS) $(PCAP_LIBS) $(LDFLAGS)

build/san/%.o: src/%.c $(HDRS) | build/.dir
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/san/fetchtrace: $(SAN_OBJS)
	$(CC) $(SAN) -o $@ $(SAN_OBJS) $(PCAP_LIBS)

build/san/test_%: tests/unit/test_%.c tests/unit/t.h $(SAN_LIB_OBJS)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Itests/unit -o $@ $< $(SAN_LIB_OBJS) $(PCAP_LIBS)

build/tsan/test_cwork: tests/unit/test_cwork.c tests/unit/t.h src/cwork.c include/cwork.h | build/.dir
	@mkdir -p build/tsan
	$(TSAN_CC) $(ALL_CFLAGS) -fsanitize=thread -O1 -Itests/unit -o $@ $< src/cwork.c $(PCAP_LIBS)

build/.dir:
	@mkdir -p build/san && touch $@

demo: deps
	@$(MAKE) --no-print-directory fetchtrace
	./fetchtrace -r captures/cold-fetch.pcap

# Every test, under ASan + UBSan.
test: deps
	@$(MAKE) --no-print-directory build/san/fetchtrace $(UNIT_BINS) $(TSAN_BINS) fetchtrace \
		build/bench-gen build/bench-blast
	@sh tests/run-all.sh

unit: $(UNIT_BINS) $(TSAN_BINS)
	@sh tests/run-all.sh unit

golden: build/san/fetchtrace
	@sh tests/run-all.sh golden

# Benchmark against tcpdump, tshark and a bare pcap_next_ex loop (slow; not part of `test`).
bench: deps
	@$(MAKE) --no-print-directory fetchtrace build/bench-gen build/bench-loop
	@sh tests/bench/run.sh

build/bench-gen: tests/bench/gen.c | build/.dir
	$(CC) $(ALL_CFLAGS) -o $@ $<

build/bench-loop: tests/bench/loop.c | build/.dir
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PCAP_LIBS) $(LDFLAGS)

build/bench-blast: tests/bench/blast.c | build/.dir
	$(CC) $(ALL_CFLAGS) -o $@ $< $(PCAP_LIBS) $(LDFLAGS)

# libFuzzer targets (clang, ASan + UBSan), seeded from captures/:  make fuzz FUZZ_SECONDS=60
# (each target runs that long; a crash stops with a non-zero status and the input's path).
FUZZ_SECONDS ?= 30
comma        := ,
FUZZ_CC      ?= clang
FUZZ_FLAGS   := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_OBJ_FLAGS := $(subst -fsanitize=fuzzer$(comma),-fsanitize=fuzzer-no-link$(comma),$(FUZZ_FLAGS))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/%)
FUZZ_OBJS    := $(LIB_SRCS:src/%.c=build/fuzz/obj/%.o)
.SECONDARY: $(FUZZ_OBJS)

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_CC=$(FUZZ_CC) MAKE="$(MAKE)" sh tests/fuzz/run.sh $(FUZZ_TARGETS)

build/fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p build/fuzz/obj
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -DFT_VERSION='"$(VERSION)"' -Iinclude -Ibuild $(PCAP_CFLAGS) \
		$(FUZZ_OBJ_FLAGS) -c -o $@ $<

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/stream.h $(FUZZ_OBJS) $(HDRS)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -Iinclude -Itests/fuzz $(PCAP_CFLAGS) $(FUZZ_FLAGS) \
		-o $@ $< $(FUZZ_OBJS) $(PCAP_LIBS)

# The mini-internet of tests/lab (root; see tests/lab/README.md): build it, remove it.
lab-up:
	@bash tests/lab/lab.sh up

lab-down:
	@bash tests/lab/lab.sh down

# Regenerate one golden file: make regen NAME=cold-fetch
regen: fetchtrace
	@sh tests/regen.sh $(NAME)

install: fetchtrace
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 fetchtrace $(DESTDIR)$(BINDIR)/fetchtrace
	install -m 0644 fetchtrace.1 $(DESTDIR)$(MANDIR)/man1/fetchtrace.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fetchtrace $(DESTDIR)$(MANDIR)/man1/fetchtrace.1

clean:
	rm -rf build fetchtrace
