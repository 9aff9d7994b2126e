#!/usr/bin/env bash
# Installs what partnerbill needs on Debian 12 (as root), and only what is missing. Safe to run again.
# With --demo (make demo): what builds and runs the programs, without Node.js and the test servers.
set -euo pipefail

demo=0
for a in "$@"; do
	case $a in
	--demo) demo=1 ;;
	*)
		echo "deps: unknown option '$a' (--demo only)" >&2
		exit 2
		;;
	esac
done

pkgs=(
	bsdextrautils
	build-essential
	ca-certificates
	curl
	groff-base
	gzip
	libcurl4-openssl-dev
	libgnutls28-dev
	libjansson-dev
	libmicrohttpd-dev
	libpcre2-dev
	libpq-dev
	libssl-dev
	libyajl-dev
	libyaml-dev
	libzip-dev
	pkg-config
	postgresql
	python3
	zlib1g-dev
)
# The unit tests, the suites, the linters, the fuzzers and the benchmarks (not for --demo).
test_pkgs=(
	clang
	clang-format
	chromium
	cppcheck
	faketime
	libclang-rt-14-dev
	libcmocka-dev
	pigz
	time
	wrk
	zip
)
# Node.js runs the test servers and the benchmark's DuckDB; any installed Node.js will do.
if ((!demo)); then
	pkgs+=("${test_pkgs[@]}")
	command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
	command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	echo "deps: every Debian package is installed"
else
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing Debian packages: ${missing[*]} (run 'make deps' as root, or install them)" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Test servers (s3rver 3.7.1, azurite 3.35.0) from the npm registry, pinned by tests/servers/package-lock.json.
((demo)) && exit 0
srv=$(cd "$(dirname "$0")/../tests/servers" && pwd)
if [ ! -f "$srv/node_modules/.package-lock.json" ] || [ "$srv/package-lock.json" -nt "$srv/node_modules/.package-lock.json" ]; then
	echo "deps: installing the test servers (npm ci --prefix tests/servers)"
	npm ci --prefix "$srv" --no-audit --no-fund --loglevel=error
fi
