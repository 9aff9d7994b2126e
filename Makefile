# partnerbill: the only build file. See README.md and shared/DESIGN.md.
.DEFAULT_GOAL := all
.SUFFIXES:

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
BIN ?= bin
SANITIZE ?=
# RELEASE=1 leaves out the hooks the crash tests use to stop a run at a chosen point (make install).
RELEASE ?=

CC ?= cc
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Werror
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DPB_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) -Icommon -I/usr/include/postgresql -MMD -MP
LDLIBS := -ljansson -lyajl -lyaml -lpcre2-8 -lcurl -lpq -lssl -lcrypto -lzip -lz -lpthread
ifeq ($(RELEASE),)
ALL_CFLAGS += -DPB_TEST_HOOKS
endif
ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
# UBSan's runtime linked into each program rather than loaded: with it shared, LeakSanitizer's check at the
# exit of every sanitized process took some 30 ms more (93 ms against 64 for pb-ingest --version), which the
# sanitized suites' thousands of runs paid. Both sanitizers report as before.
LDFLAGS += -fsanitize=$(SANITIZE) $(if $(findstring undefined,$(SANITIZE)),-static-libubsan)
endif

LIB_SRC := \
	common/atomicfile.c \
	common/azure.c \
	common/buf.c \
	common/cluster.c \
	common/conf.c \
	common/country.c \
	common/coverage.c \
	common/csv.c \
	common/currency.c \
	common/date.c \
	common/db.c \
	common/eligconf.c \
	common/entra.c \
	common/fetch.c \
	common/http.c \
	common/input.c \
	common/interrupt.c \
	common/jsonl.c \
	common/log.c \
	common/money.c \
	common/opts.c \
	common/pgcopy.c \
	common/progress.c \
	common/rates.c \
	common/retry.c \
	common/ring.c \
	common/sha256.c \
	common/testhook.c \
	common/text.c \
	common/unit.c \
	common/url.c \
	common/who.c

ACCOUNTS_SRC := \
	accounts/account.c \
	accounts/cli.c \
	accounts/cmd_account.c \
	accounts/cmd_link.c \
	accounts/cmd_proposal.c \
	accounts/customer.c \
	accounts/eligibility.c \
	accounts/import.c \
	accounts/link.c \
	accounts/main.c \
	accounts/partner_center.c \
	accounts/proposal.c \
	accounts/rules.c \
	accounts/suggest.c

API_SRC := \
	api/cache.c \
	api/clients.c \
	api/conns.c \
	api/json.c \
	api/lastuse.c \
	api/lastuse_writer.c \
	api/listen.c \
	api/main.c \
	api/metrics.c \
	api/pool.c \
	api/queries.c \
	api/ratelimit.c \
	api/request.c \
	api/routes.c \
	api/server.c \
	api/tls.c \
	api/token.c \
	api/usage.c

AGGREGATE_SRC := \
	aggregate/account.c \
	aggregate/estimate.c \
	aggregate/estimate_cli.c \
	aggregate/main.c \
	aggregate/pool.c \
	aggregate/pricing.c \
	aggregate/report.c \
	aggregate/run.c

DB_SRC := \
	db/main.c

INVOICE_SRC := \
	invoice/export.c \
	invoice/focus.c \
	invoice/issue.c \
	invoice/lines.c \
	invoice/main.c \
	invoice/output.c \
	invoice/report.c

INGEST_SRC := \
	ingest/aws_cur.c \
	ingest/azure_cost.c \
	ingest/azure_export.c \
	ingest/format.c \
	ingest/ingest.c \
	ingest/listprice.c \
	ingest/main.c \
	ingest/manifest.c \
	ingest/parser.c \
	ingest/partner_center.c \
	ingest/pc_export.c \
	ingest/read.c \
	ingest/reduce.c \
	ingest/store.c \
	ingest/summary.c \
	ingest/table.c \
	ingest/tags.c \
	ingest/worker.c

PRICES_SRC := \
	prices/csvlist.c \
	prices/load.c \
	prices/main.c \
	prices/offer.c \
	prices/reader.c \
	prices/retail.c \
	prices/run.c \
	prices/show.c

RUNNER_SRC := \
	runner/exec.c \
	runner/job.c \
	runner/main.c \
	runner/metrics.c \
	runner/param.c \
	runner/plan.c \
	runner/record.c \
	runner/run.c \
	runner/step.c

UNIT_TESTS := \
	api \
	country \
	csv \
	currency \
	date \
	eligconf \
	entra \
	estimate \
	input \
	invexport \
	invisible \
	job \
	jsonl \
	listprice \
	money \
	pgcopy \
	progress \
	reduce \
	ring \
	sha256 \
	tags \
	text \
	unit \
	url

LIB := $(BUILD)/libpb.a
SCHEMAS := $(sort $(wildcard schemas/[0-9][0-9][0-9]_*.sql))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
ACCOUNTS_OBJ := $(ACCOUNTS_SRC:%.c=$(BUILD)/%.o)
AGGREGATE_OBJ := $(AGGREGATE_SRC:%.c=$(BUILD)/%.o)
INVOICE_OBJ := $(INVOICE_SRC:%.c=$(BUILD)/%.o)
API_OBJ := $(API_SRC:%.c=$(BUILD)/%.o)
DB_OBJ := $(DB_SRC:%.c=$(BUILD)/%.o)
INGEST_OBJ := $(INGEST_SRC:%.c=$(BUILD)/%.o)
PRICES_OBJ := $(PRICES_SRC:%.c=$(BUILD)/%.o)
RUNNER_OBJ := $(RUNNER_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)
PROGRAMS := $(BIN)/pb-accounts $(BIN)/pb-aggregate $(BIN)/pb-api $(BIN)/pb-db $(BIN)/pb-ingest $(BIN)/pb-invoice \
	$(BIN)/pb-prices $(BIN)/pb-run

all: $(PROGRAMS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/gen/migrations.c: $(SCHEMAS) scripts/embed_sql.sh
	@mkdir -p $(@D)
	sh scripts/embed_sql.sh $@ $(SCHEMAS)

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $^

$(BIN)/pb-accounts: $(ACCOUNTS_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/pb-aggregate: $(AGGREGATE_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BIN)/pb-api: $(API_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lmicrohttpd -lgnutls $(LDLIBS)

$(BIN)/pb-db: $(DB_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/pb-invoice: $(INVOICE_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/pb-ingest: $(INGEST_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/pb-prices: $(PRICES_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/pb-run: $(RUNNER_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# runner/'s parsing modules are pb-run's own, not the library's: their test links them itself.
$(BUILD)/tests/test_job: tests/unit/test_job.c $(BUILD)/runner/job.o $(BUILD)/runner/param.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Irunner $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIB) -lcmocka $(LDLIBS)

# pb-api's modules that need no server, tested with their objects.
API_UNIT_OBJ := $(addprefix $(BUILD)/api/,cache.o clients.o json.o lastuse.o ratelimit.o request.o token.o usage.o)
$(BUILD)/tests/test_api: tests/unit/test_api.c $(API_UNIT_OBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iapi $(LDFLAGS) -o $@ $^ -lcmocka $(LDLIBS)

# So are ingest/'s: the reduction's test links it itself.
$(BUILD)/tests/test_reduce: tests/unit/test_reduce.c $(BUILD)/ingest/reduce.o $(BUILD)/ingest/table.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iingest $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIB) -lcmocka $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) -lcmocka $(LDLIBS)

# The estimator lives in aggregate/, not in libpb.a.
$(BUILD)/tests/test_estimate: tests/unit/test_estimate.c $(BUILD)/aggregate/estimate.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iaggregate $(LDFLAGS) -o $@ $< $(BUILD)/aggregate/estimate.o $(LIB) -lcmocka $(LDLIBS) -lm

# The invoice files' writer lives in invoice/, not in libpb.a.
$(BUILD)/tests/test_invexport: tests/unit/test_invexport.c $(BUILD)/invoice/export.o $(BUILD)/invoice/lines.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinvoice $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIB) -lcmocka $(LDLIBS)

# The list price lookups live in ingest/, not in libpb.a.
$(BUILD)/tests/test_listprice: tests/unit/test_listprice.c $(BUILD)/ingest/listprice.o $(BUILD)/ingest/table.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iingest $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIB) -lcmocka $(LDLIBS)

# So is the reader of resource tags.
$(BUILD)/tests/test_tags: tests/unit/test_tags.c $(BUILD)/ingest/tags.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iingest $(LDFLAGS) -o $@ $< $(filter %.o,$^) $(LIB) -lcmocka $(LDLIBS)

# Tests: unit tests (cmocka) then the end-to-end suites against the real executables.
# The suites of end-to-end and integration tests, each with its own throwaway cluster and servers, so that
# tests/run-suites.sh runs them side by side; the longest first.
SUITES := \
	tests/integration/fuzz_build.sh \
	tests/integration/accounts_review.sh \
	tests/integration/runner.sh \
	tests/integration/store.sh \
	tests/integration/accounts.sh \
	tests/integration/store_spill.sh \
	tests/integration/store_hostile.sh \
	tests/integration/store_waits.sh \
	tests/integration/api.sh \
	tests/integration/azure.sh \
	tests/integration/partner_center.sh \
	tests/integration/fetch.sh \
	tests/integration/tls.sh \
	tests/corpus/ingest.sh \
	tests/integration/ingest_review.sh \
	tests/integration/jobs.sh \
	tests/integration/prices.sh \
	tests/corpus/accounts.sh \
	tests/integration/invoice.sh \
	tests/integration/aggregate.sh \
	tests/e2e/azure/run.sh \
	tests/integration/db.sh \
	tests/e2e/estimate/run.sh \
	tests/integration/hostile.sh \
	tests/integration/help.sh \
	tests/integration/oracle.sh \
	tests/e2e/ingest/run.sh \
	tests/e2e/ingest/split.sh
# Under the sanitizers, every suite but those that add no C path the others leave out: pb-accounts' review
# (its C runs under accounts.sh and the corpus), pb-run's runner.sh (its C runs under jobs.sh), pb-db's
# (every suite starts its cluster with pb-db), help.sh and the store's waits (store_waits.sh: most of its
# time is spent waiting for other sessions, and its C paths run under store_hostile.sh and store.sh), and the
# fuzz targets' build (fuzz_build.sh: they are built with the sanitizers already).
SAN_SUITES := $(filter-out tests/integration/accounts_review.sh tests/integration/runner.sh \
	tests/integration/db.sh tests/integration/help.sh tests/integration/store_waits.sh \
	tests/integration/fuzz_build.sh,$(SUITES))
PARALLEL = $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc))
SAN := BUILD=build/san BIN=build/san/bin SANITIZE=address,undefined CFLAGS='-O1 -g'

test: $(PROGRAMS) $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done
	bash tests/run-suites.sh tests/servers/selftest.sh $(SUITES:%=$(BIN):%)

# The programs and unit tests, built and run, without the suites.
unit: $(PROGRAMS) $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

# make check: install what is missing, then every test, plainly and under the sanitizers (ASan, UBSan),
# the suites of both builds side by side.
# The builds take every core unless make was given -j already.
check: deps
	$(MAKE) $(PARALLEL) unit
	$(MAKE) $(PARALLEL) $(SAN) unit
	bash tests/run-suites.sh tests/servers/selftest.sh $(SAN_SUITES:%=build/san/bin:%) $(SUITES:%=$(BIN):%)

deps:
	bash scripts/deps.sh

# The demo needs no test server: only the Debian packages.
demo:
	bash scripts/deps.sh --demo
	$(MAKE) $(PARALLEL) all
	bash scripts/demo.sh

bench: all
	bash bench/run.sh

FUZZ_TARGETS := csv csv_paths jsonl money tags job conf ingest_csv ingest_pc manifest listprice pricelist api_request accounts_import
fuzz:
	bash fuzz/run.sh $(FUZZ_TARGETS)

lint:
	clang-format --dry-run --Werror accounts/*.[ch] aggregate/*.[ch] api/*.[ch] invoice/*.[ch] common/*.[ch] db/*.[ch] ingest/*.[ch] prices/*.[ch] runner/*.[ch] tests/unit/*.c fuzz/*.c
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--suppress=missingIncludeSystem -Icommon -I/usr/include/postgresql accounts aggregate api common db ingest invoice prices runner

# Installed programs are built apart, without the test hooks.
install:
	$(MAKE) BUILD=build/release BIN=build/release/bin RELEASE=1 all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(PROGRAMS:$(BIN)/%=build/release/bin/%) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/share/partnerbill
	install -m 644 config/eligibility.conf config/mapping-rules.example config/pricing.conf \
		config/service-categories.conf \
		$(DESTDIR)$(PREFIX)/share/partnerbill/

clean:
	rm -rf build bin

.PHONY: all test unit check deps demo bench fuzz lint install clean

-include $(LIB_OBJ:.o=.d) $(INGEST_OBJ:.o=.d) $(DB_OBJ:.o=.d) $(ACCOUNTS_OBJ:.o=.d) $(AGGREGATE_OBJ:.o=.d) $(INVOICE_OBJ:.o=.d) $(RUNNER_OBJ:.o=.d) $(API_OBJ:.o=.d) $(PRICES_OBJ:.o=.d)
