/* gen_common.h: what the benchmark generators (gen_cur.c, gen_azure.c) share: the PRNG, the output buffer and
 * its writers (text, numbers in the forms cost exports use, CSV fields), and the command line. Header only, so
 * that a generator still builds from its one source file (cc -O2 -o gen_cur bench/gen_cur.c).
 *
 * A generator defines its own struct row (put_quoted passes it to the generator's writers untouched). */

#ifndef PB_BENCH_GEN_COMMON_H
#define PB_BENCH_GEN_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_SIZE (1u << 20) /* The output buffer. */
#define SCRATCH 1024u	    /* The buffer of a field that put_quoted writes. */

struct sink {
	char *p;
	size_t n;
};

struct row;

/* ---- the PRNG: splitmix64 ---- */

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint64_t next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return mix64(*state);
}

/* Uniform in 0..n-1. */
static inline uint64_t below(uint64_t *state, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)next(state) * n) >> 64);
}

/* An account (subscription) index in 0..n-1, half the time from the first tenth: a few large customers. */
static inline uint64_t pick_skewed(uint64_t *state, uint64_t n)
{
	return below(state, 2) == 0 ? below(state, n) : below(state, n / 10 + 1);
}

/* v x per_mille / 1000, truncated, without overflow for any v. */
static inline uint64_t scale(uint64_t v, unsigned per_mille)
{
	return v / 1000 * per_mille + v % 1000 * per_mille / 1000;
}

/* ---- writers into the output buffer (the caller leaves room: no bounds checks) ---- */

static inline void put_mem(struct sink *s, const char *p, size_t n)
{
	memcpy(s->p + s->n, p, n);
	s->n += n;
}

static inline void put_str(struct sink *s, const char *p)
{
	put_mem(s, p, strlen(p));
}

static inline void put_ch(struct sink *s, char c)
{
	s->p[s->n++] = c;
}

/* Writes v in decimal with at least width digits. */
static inline void put_u128(struct sink *s, unsigned __int128 v, int width)
{
	char tmp[48];
	int n = 0;
	uint64_t w;

	while (v > UINT64_MAX) {
		tmp[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	}
	w = (uint64_t)v; /* The rest in 64 bits, which is much faster. */
	do {
		tmp[n++] = (char)('0' + w % 10);
		w /= 10;
	} while (w != 0);
	while (n < width)
		tmp[n++] = '0';
	while (n > 0)
		s->p[s->n++] = tmp[--n];
}

static inline void put_u64(struct sink *s, uint64_t v, int width)
{
	put_u128(s, v, width);
}

/* How put_num writes a number. */
enum num_style {
	NUM_FIXED,  /* every place: "5.0000000000" */
	NUM_POINT,  /* shortest, with at least one place: "5.0", "0.25" */
	NUM_JAVA,   /* NUM_POINT, and below 0.001 as Java's Double.toString: "3.06E-7", "3.0E-7" */
	NUM_SHORT,  /* shortest, a whole number without a point: "5", "0.25" */
	NUM_DOTNET, /* NUM_SHORT, and below 0.0001 as .NET writes it: "1.204E-05", "1E-05" */
};

/* Writes v * 10^-places (places 1 to 38) in the given style. */
static inline void put_num(struct sink *s, __int128 v, int places, enum num_style style)
{
	unsigned __int128 mag = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	unsigned __int128 one = 1;
	unsigned __int128 ip, fp;
	int java = style == NUM_JAVA;
	int p = places;

	for (int i = 0; i < places; i++)
		one *= 10;
	if (v < 0)
		put_ch(s, '-');
	if ((java || style == NUM_DOTNET) && mag != 0 && mag * (java ? 1000 : 10000) < one) {
		char d[48];
		struct sink digits = {d, 0};
		int nd, exp, last;

		put_u128(&digits, mag, 0);
		nd = (int)digits.n;
		exp = nd - 1 - places;
		last = nd - 1;
		while (last > 0 && d[last] == '0')
			last--;
		put_ch(s, d[0]);
		if (last > 0) {
			put_ch(s, '.');
			put_mem(s, d + 1, (size_t)last);
		} else if (java) {
			put_str(s, ".0");
		}
		put_str(s, "E-");
		put_u64(s, (uint64_t)-exp, java ? 0 : 2);
		return;
	}
	if (mag <= UINT64_MAX && places <= 19) { /* 64-bit division where it will do: much faster */
		ip = (uint64_t)mag / (uint64_t)one;
		fp = (uint64_t)mag % (uint64_t)one;
	} else {
		ip = mag / one;
		fp = mag % one;
	}
	put_u128(s, ip, 0);
	if (style == NUM_FIXED) {
		put_ch(s, '.');
		put_u128(s, fp, places);
		return;
	}
	if (fp == 0) {
		if (style == NUM_POINT || java)
			put_str(s, ".0");
		return;
	}
	while (fp % 10 == 0) {
		fp /= 10;
		p--;
	}
	put_ch(s, '.');
	put_u128(s, fp, p);
}

/* Writes a field as CSV, quoting it when it holds a comma, quote or line break. */
static inline void put_field(struct sink *s, const char *p, size_t n)
{
	if (memchr(p, ',', n) == NULL && memchr(p, '"', n) == NULL && memchr(p, '\n', n) == NULL) {
		put_mem(s, p, n);
		return;
	}
	put_ch(s, '"');
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			put_ch(s, '"');
		put_ch(s, p[i]);
	}
	put_ch(s, '"');
}

/* Writes, as a CSV field, the text that fill writes for r (at most SCRATCH bytes). */
static inline void put_quoted(struct sink *s, void (*fill)(struct sink *, const struct row *), const struct row *r)
{
	char buf[SCRATCH];
	struct sink tmp = {buf, 0};

	fill(&tmp, r);
	put_field(s, buf, tmp.n);
}

/* ---- output and the command line ---- */

static inline int flush(struct sink *s)
{
	if (s->n != 0 && fwrite(s->p, 1, s->n, stdout) != s->n)
		return -1;
	s->n = 0;
	return 0;
}

/* Ends a line, and writes the buffer out once less than room bytes (what a row may need) are left in it. */
static inline int end_line(struct sink *s, size_t room)
{
	put_ch(s, '\n');
	if (s->n > OUT_SIZE - room && flush(s) < 0)
		return -1;
	return 0;
}

/* Writes out the rest of the output: the exit status. */
static inline int finish(struct sink *s, const char *prog)
{
	if (flush(s) < 0 || fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: cannot write to stdout: %s\n", prog, strerror(errno));
		return 1;
	}
	return 0;
}

static inline int parse_u64(const char *arg, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v;

	if (arg[0] < '0' || arg[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* A generator's command line: PROG ROWS SEED [COUNT N] [FLAG], with 0 < N <= count_max. */
struct gen_usage {
	const char *prog;
	const char *count; /* "--accounts" */
	uint64_t count_max;
	const char *flag; /* "--cur2" */
};

/* Reads the command line into *rows, *seed, *count (left as it is when not given) and *flag (set to 1 when
 * given): 0, or after the usage on stderr the exit status 2. */
static inline int parse_args(const struct gen_usage *u, int argc, char **argv, uint64_t *rows, uint64_t *seed,
			     uint64_t *count, int *flag)
{
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], u->flag) == 0)
			*flag = 1;
		else if (strcmp(argv[i], u->count) == 0) {
			if (i + 1 >= argc || parse_u64(argv[++i], count) < 0 || *count == 0 || *count > u->count_max)
				goto usage;
		} else if (npos == 0 && parse_u64(argv[i], rows) == 0)
			npos++;
		else if (npos == 1 && parse_u64(argv[i], seed) == 0)
			npos++;
		else
			goto usage;
	}
	if (npos == 2)
		return 0;
usage:
	fprintf(stderr, "usage: %s ROWS SEED [%s N] [%s]\n", u->prog, u->count, u->flag);
	return 2;
}

#endif
