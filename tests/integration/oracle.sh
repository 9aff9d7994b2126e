#!/usr/bin/env bash
# The month's invoice against an independent oracle (oracle.py): for each seed, a small month of random raw exports (an
# AWS CUR, legacy or for some seeds CUR 2.0, with or without its pricing columns, and an Azure cost details file, every
# charge type the pricing rules tell apart, and a Partner Center reconciliation file of a CSP customer's unbilled usage,
# then of its billed usage replacing it, both stored from files, under one source or, for some seeds, the unbilled usage
# of each currency under the source the nightly job gives it and the billed under the month close's, then the unbilled
# usage once more: refused, exit 4), links that start, end or move within the month, an unmapped partner account,
# accounts the eligibility rules refuse (resellers, a reseller's customers, countries a vendor is not offered in, terms
# not accepted for the account's country), invoice currencies other than the exports' with the month's rates, and
# markups; for most seeds, price lists loaded with pb-prices from files (an Azure price sheet and a newer Retail Prices
# page, two AWS offer files) that price the usage lines whose export leaves the list price out (flat and graduated
# meters, a price changing mid-month or ending at midnight UTC, a newer load deciding from a day, late Azure usage, AWS
# lines without a SKU or a pricing unit, units written "1 GB" and "10 GB", meters and currencies no list prices); the
# pipeline (pb-prices, pb-ingest, pb-accounts, pb-aggregate --detail, pb-invoice --issue) must give the oracle's lines
# to the last digit, and their exact month to date, markup and detail to the last of their 18 decimal places. Then, an
# account changed (made a reseller's customer or no longer one, a reseller no longer, or billed in another country), the
# issued month is restated (amounts changed, a credit added, a line removed) and aggregated again, and the month after
# it issued with its own small exports: its lines and its adjustment of the month must be the oracle's (what the month
# comes to now less what was invoiced for it, the month billed in the state it was issued in, the months after in the
# new one); then restated again, and the month after that.
# ORACLE_SEEDS="1 2 3 ..." (or a range, ORACLE_SEEDS=1-400) runs others, each seed a month of its own in one
# cluster (the default seeds are those below); ORACLE_VERBOSE=1 prints each seed's invoice lines.
set -u
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pb_test_tmp oracle
pb_on_exit pb_test_cleanup
pb_test_cluster_start
cd "$ROOT" || exit 1
ORACLE=tests/integration/oracle.py
A=$BIN/pb-accounts

# The pool of CLC accounts every seed bills and a reseller, with the terms of both vendors in the US, and of
# some in the UK or Germany.
python3 $ORACLE pool >"$TMP/pool.csv" && "$A" import "$TMP/pool.csv" --by oracle >"$TMP/setup.log" 2>&1
st=$?
while read -r a vendor region; do
	"$A" accept-terms "$a" --vendor "$vendor" ${region:+--region "$region"} --version 1 --by oracle || st=1
done < <(python3 $ORACLE terms) >>"$TMP/setup.log" 2>&1
check "the pool of accounts and their terms" "0" "$st"

# store_if FILE OPTION...: FILE stored by pb-ingest for $month with OPTIONs, when there is one; its messages
# in $d/ingest.err.
store_if() {
	local file=$1
	shift
	[ ! -f "$file" ] ||
		"$BIN/pb-ingest" --no-progress --month "$month" "$@" "$file" >/dev/null 2>>"$d/ingest.err"
}

# store_pc: the month's Partner Center files stored for $month: the unbilled usage, then the invoice's billed
# usage replacing it; under one source of their own, or (with $d/pc-invoice) under those the export names, the
# unbilled usage of each currency as the nightly job stores it and the billed as the month close does, then the
# unbilled usage in the first currency once more: refused, its status and messages in $d/pc-after.
store_pc() {
	local f cur
	if [ ! -f "$d/pc-invoice" ]; then
		store_if "$d/pc-unbilled.json" --format partner-center --source oracle:pc &&
			store_if "$d/pc.json" --format partner-center --final --source oracle:pc
		return
	fi
	for f in "$d"/pc-unbilled-*.json; do
		cur=${f##*-}
		store_if "$f" --format partner-center --source "partner-center:unbilled:${cur%.json}" || return 1
	done
	store_if "$d/pc.json" --format partner-center --final --source "partner-center:billed:$(cat "$d/pc-invoice")" ||
		return 1
	set -- "$d"/pc-unbilled-*.json
	f=$1 cur=${1##*-}
	"$BIN/pb-ingest" --format partner-center --no-progress --month "$month" \
		--source "partner-center:unbilled:${cur%.json}" "$f" >/dev/null 2>"$d/pc-after"
	echo "$?" >>"$d/pc-after"
}

# set_state FILE [WAS]: each account of FILE (an accounts.txt) given the country it is billed in, and made a
# reseller, a reseller's customer, or neither; with WAS, the accounts whose line differs from WAS's only.
set_state() {
	local file=$1 was=${2:-/dev/null} a country cur markup kind
	while read -r a country cur markup kind; do
		! grep -qxF "$a $country $cur $markup $kind" "$was" || continue
		case $kind in
		reseller) set -- --reseller --no-parent ;;
		child) set -- --no-reseller --parent ORAR ;;
		*) set -- --no-reseller --no-parent ;;
		esac
		"$A" update "$a" --country "$country" "$@" >/dev/null || return 1
	done <"$file"
}

# run_seed SEED: the seed's month through the pipeline; prints the invoice's lines as the oracle prints them,
# or what failed.
run_seed() {
	local seed=$1 d=$TMP/seed-$1 month last a country cur markup
	python3 $ORACLE gen "$seed" "$d" || return 1
	month=$(cat "$d/month")
	last=$(date -u -d "$month-01 +1 month -1 day" +%F)
	# Each account eligible while it is linked, then given the country it is billed in, or made a reseller or a
	# reseller's customer.
	while read -r a country cur markup kind; do
		"$A" update "$a" --country US --no-reseller --no-parent --invoice-currency "$cur" --markup "$markup" \
			>/dev/null || return 1
	done <"$d/accounts.txt"
	"$A" import-links "$d/links.csv" --by oracle >/dev/null && set_state "$d/accounts.txt" || return 1
	if [ -f "$d/prices.txt" ]; then
		while read -r format source file; do
			"$BIN/pb-prices" load --format "$format" --no-progress --source "$source" "$file" >/dev/null || return 1
		done <"$d/prices.txt"
	fi
	# An older delivery of each first source, replaced by the newer; a second source of each vendor beside it.
	: >"$d/ingest.err"
	if ! { "$BIN/pb-aggregate" rates --load "$d/rates.csv" >/dev/null &&
		store_if "$d/aws-old.csv" --format aws-cur --source oracle:aws &&
		store_if "$d/aws.csv" --format aws-cur --source oracle:aws &&
		store_if "$d/aws-b.csv" --format aws-cur --source oracle:aws2 &&
		store_if "$d/azure-old.csv" --format azure-cost --source oracle:azure &&
		store_if "$d/azure.csv" --format azure-cost --final --source oracle:azure &&
		store_if "$d/azure-b.csv" --format azure-cost --final --source oracle:azure2 &&
		store_pc &&
		"$BIN/pb-aggregate" --month "$month" --detail --as-of "$last" --config "$d/eligibility.conf" \
			>/dev/null 2>"$d/aggregate.err" &&
		"$BIN/pb-invoice" --month "$month" --issue --out "$d" >/dev/null; }; then
		cat "$d/ingest.err" "$d/aggregate.err" 2>/dev/null
		return 1
	fi
	tr -d '\r' <"$d/invoice-$month.csv" | tail -n +2 | cut -d, -f5,8,10-13
	"$BIN/pb-aggregate" --month "$month" --no-run --csv >"$d/aggregate.csv" || return 1
}

# adjust_seed SEED: the seed's month, once issued and an account changed, restated and aggregated again, and the
# month after it made and issued; then restated again, and the month after that. Prints the two invoices' lines,
# adjustments included, as the oracle prints them, or what failed.
adjust_seed() {
	local seed=$1 d=$TMP/seed-$1 month k n last
	month=$(cat "$d/month")
	last=$(date -u -d "$month-01 +1 month -1 day" +%F)
	ln -s . "$d/n0"
	for k in 1 2; do
		python3 $ORACLE restate "$seed" "$d/r$((k - 1))" "$d/r$k" &&
			python3 $ORACLE next "$seed" "$d" "$d/n$k" "$k" || return 1
		n=$(cat "$d/n$k/month")
		# The accounts as they are after the month is issued: its adjustments keep the state it was billed in.
		if ! { set_state "$d/n$k/accounts.txt" "$d/n$((k - 1))/accounts.txt" &&
			"$BIN/pb-ingest" --format aws-cur --no-progress --source oracle:aws --month "$month" \
				"$d/r$k/aws.csv" >/dev/null 2>"$d/ingest.err" &&
			"$BIN/pb-ingest" --format azure-cost --no-progress --final --source oracle:azure --month "$month" \
				"$d/r$k/azure.csv" >/dev/null 2>>"$d/ingest.err" &&
			"$BIN/pb-aggregate" --month "$month" --detail --as-of "$last" --config "$d/eligibility.conf" \
				>/dev/null 2>"$d/aggregate.err" &&
			"$BIN/pb-aggregate" rates --load "$d/n$k/rates.csv" >/dev/null &&
			"$BIN/pb-ingest" --format aws-cur --no-progress --source oracle:aws --month "$n" "$d/n$k/aws.csv" \
				>/dev/null 2>>"$d/ingest.err" &&
			"$BIN/pb-ingest" --format azure-cost --no-progress --final --source oracle:azure --month "$n" \
				"$d/n$k/azure.csv" >/dev/null 2>>"$d/ingest.err" &&
			"$BIN/pb-aggregate" --month "$n" --detail --as-of "$(date -u -d "$n-01 +1 month -1 day" +%F)" \
				--config "$d/eligibility.conf" \
				>/dev/null 2>>"$d/aggregate.err" &&
			"$BIN/pb-invoice" --month "$n" --issue --out "$d/n$k" >/dev/null 2>"$d/invoice.err"; }; then
			cat "$d/ingest.err" "$d/aggregate.err" "$d/invoice.err" 2>/dev/null
			return 1
		fi
		tr -d '\r' <"$d/n$k/invoice-$n.csv" | tail -n +2 | cut -d, -f5,8-13
	done
}

# Three seeds that between them have (6) AWS reports in CUR 2.0 without the pricing columns, priced from price lists,
# (92) Partner Center's files stored under the sources the export names, a reseller and a reseller's customer, accounts
# in DE and GB whose vendor is offered there without their terms accepted, invoices in JPY and BHD, a markup of -100, an
# account billed half cents, a credit line, AWS lines in EUR, late Azure usage and lines priced from price lists, in
# tiers and at a price that changes mid-month, and (92) two sources of each vendor, a partner account moving between
# them mid-month, and older deliveries replaced; and (37) an account made a reseller's customer once the month is
# issued.
seeds=${ORACLE_SEEDS:-6 37 92}
case $seeds in *-*) seeds=$(seq "${seeds%-*}" "${seeds#*-}") ;; esac
for seed in $seeds; do
	got=$(run_seed "$seed" 2>&1)
	[ -n "${ORACLE_VERBOSE:-}" ] && printf "%s\n" "$got"
	check "seed $seed: the invoice lines are the oracle's, to the last digit" \
		"$(python3 $ORACLE expect "$TMP/seed-$seed")" "$got"
	check "seed $seed: each account and vendor's month to date, markup and detail are the oracle's, exact" \
		"" "$(python3 $ORACLE exact "$TMP/seed-$seed" "$TMP/seed-$seed/aggregate.csv" \
			"$TMP/seed-$seed/invoice-$(cat "$TMP/seed-$seed/month")-detail.csv" 2>&1)"
	d=$TMP/seed-$seed
	if [ -f "$d/pc-invoice" ]; then
		pcs=("$d"/pc-unbilled-*.json) src=partner-center:billed:$(cat "$d/pc-invoice")
		cur=${pcs[0]##*-} cur=${cur%.json}
		check "seed $seed: the month's unbilled usage after its invoice's billed usage: exit 4, naming the invoice" \
			"pb-ingest: azure $(cat "$d/month") has the billed usage of a Partner Center invoice in $cur (import \
$(pb_sql "SELECT id FROM pb.import WHERE status = 'committed' AND source = '$src'") from $src): its unbilled usage \
in $cur no longer counts|4" "$(tail -n 2 "$d/pc-after" | paste -sd'|')"
	fi
	got=$(ln -s . "$TMP/seed-$seed/r0" && adjust_seed "$seed" 2>&1)
	[ -n "${ORACLE_VERBOSE:-}" ] && printf "%s\n" "$got"
	check "seed $seed: restated twice, the next two invoices' lines and adjustments are the oracle's" \
		"$(python3 $ORACLE adjusted "$d/n1" "$d" "$d" "$d/r1" &&
			python3 $ORACLE adjusted "$d/n2" "$d" "$d" "$d/r1" "$d/r2")" "$got"
done
pb_tests_done
