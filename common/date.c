/* Civil-calendar arithmetic on day numbers: the era-based conversion, in integers only. */
#include "date.h"

#include <string.h>

#include "banned.h"

int32_t pb_date_from_ymd(int y, int m, int d)
{
	/* Counting from March 1 puts the leap day at the end of the year. */
	int yy = m <= 2 ? y - 1 : y;
	int era = (yy >= 0 ? yy : yy - 399) / 400;
	int yoe = yy - era * 400;
	int mp = (m + 9) % 12;
	int doy = (153 * mp + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + doe - 719468);
}

void pb_date_to_ymd(int32_t days, int *y, int *m, int *d)
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int pb_date_valid(int y, int m, int d)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int n;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	n = mdays[m - 1];
	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		n = 29;
	return d <= n;
}

/* Reads exactly n digits at s[*i]; returns the value or -1. */
static int digits(const char *s, size_t len, size_t *i, int n)
{
	int v = 0;

	if (*i + (size_t)n > len)
		return -1;
	while (n-- > 0) {
		char ch = s[(*i)++];

		if (ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	return v;
}

static int expect(const char *s, size_t len, size_t *i, char ch)
{
	if (*i >= len || s[*i] != ch)
		return -1;
	(*i)++;
	return 0;
}

/* Whether y-m-d is a real date, year 0000 (zero set) as year 2000 is: both leap years, divisible by 400. */
static int valid(int y, int m, int d, int zero)
{
	return pb_date_valid(zero && y == 0 ? 2000 : y, m, d);
}

/* pb_date_parse_iso, and a date of year 0000 too when zero is set. */
static int parse_iso(const char *s, size_t len, int zero, int32_t *days)
{
	size_t i = 0;
	int y, m, d, hh = 0, mm = 0, ss = 0, off = 0;

	y = digits(s, len, &i, 4);
	if (y < 0 || expect(s, len, &i, '-') < 0)
		return -1;
	m = digits(s, len, &i, 2);
	if (m < 0 || expect(s, len, &i, '-') < 0)
		return -1;
	d = digits(s, len, &i, 2);
	if (d < 0 || !valid(y, m, d, zero))
		return -1;
	if (i < len) {
		if (s[i] != 'T' && s[i] != ' ')
			return -1;
		i++;
		hh = digits(s, len, &i, 2);
		if (hh < 0 || hh > 23 || expect(s, len, &i, ':') < 0)
			return -1;
		mm = digits(s, len, &i, 2);
		if (mm < 0 || mm > 59)
			return -1;
		if (i < len && s[i] == ':') {
			i++;
			ss = digits(s, len, &i, 2);
			if (ss < 0 || ss > 60)
				return -1;
			if (i < len && (s[i] == '.' || s[i] == ',')) {
				size_t f = ++i;

				while (i < len && s[i] >= '0' && s[i] <= '9')
					i++;
				if (i == f)
					return -1;
			}
		}
		if (i < len && s[i] == 'Z') {
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int sign = s[i] == '-' ? -1 : 1, oh, om = 0;

			i++;
			oh = digits(s, len, &i, 2);
			if (oh < 0)
				return -1;
			if (i < len) {
				/* After +HH, either :MM or MM, and nothing else. */
				if (s[i] == ':')
					i++;
				om = digits(s, len, &i, 2);
				if (om < 0 || om > 59)
					return -1;
			}
			off = sign * (oh * 60 + om);
			/* The zones in use run from -12:00 to +14:00: anything beyond is no zone. */
			if (off < -12 * 60 || off > 14 * 60)
				return -1;
		}
		if (i != len)
			return -1;
	}
	{
		/* Minutes since the day's start in UTC decide whether the day moves. */
		int minutes = hh * 60 + mm - off;
		int32_t day = pb_date_from_ymd(y, m, d);

		while (minutes < 0) {
			minutes += 1440;
			day--;
		}
		while (minutes >= 1440) {
			minutes -= 1440;
			day++;
		}
		/* A zone that moves the day out of the calendar (year 0000 or 10000) leaves no day to give. */
		if (!zero && (day < pb_date_from_ymd(1, 1, 1) || day > pb_date_from_ymd(9999, 12, 31)))
			return -1;
		*days = day;
	}
	(void)ss;
	return 0;
}

int pb_date_parse_iso(const char *s, size_t len, int32_t *days)
{
	return parse_iso(s, len, 0, days);
}

int pb_date_parse_day(const char *s, int32_t *days)
{
	/* Ten characters leave pb_date_parse_iso no room for a time. */
	return strlen(s) == 10 ? pb_date_parse_iso(s, 10, days) : -1;
}

int pb_date_parse_month(const char *s, int32_t *days)
{
	char day[11];

	if (strlen(s) != 7)
		return -1;
	memcpy(day, s, 7);
	memcpy(day + 7, "-01", 4);
	return pb_date_parse_iso(day, 10, days);
}

void pb_date_format(int32_t days, char *buf)
{
	int y, m, d;

	pb_date_to_ymd(days, &y, &m, &d);
	buf[0] = (char)('0' + y / 1000 % 10);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	buf[10] = '\0';
}

int32_t pb_date_month_start(int32_t days)
{
	int y, m, d;

	pb_date_to_ymd(days, &y, &m, &d);
	return pb_date_from_ymd(y, m, 1);
}

/* One or two digits at s[*i]; returns the value or -1. */
static int digits12(const char *s, size_t len, size_t *i)
{
	int v;

	if (*i >= len || s[*i] < '0' || s[*i] > '9')
		return -1;
	v = s[(*i)++] - '0';
	if (*i < len && s[*i] >= '0' && s[*i] <= '9')
		v = v * 10 + (s[(*i)++] - '0');
	return v;
}

/* pb_date_parse_us, and a date of year 0000 too when zero is set. */
static int parse_us(const char *s, size_t len, int zero, int32_t *days)
{
	size_t i = 0;
	int y, m, d;

	m = digits12(s, len, &i);
	if (m < 0 || expect(s, len, &i, '/') < 0)
		return -1;
	d = digits12(s, len, &i);
	if (d < 0 || expect(s, len, &i, '/') < 0)
		return -1;
	y = digits(s, len, &i, 4);
	if (y < 0 || i != len || !valid(y, m, d, zero))
		return -1;
	*days = pb_date_from_ymd(y, m, d);
	return 0;
}

int pb_date_parse_us(const char *s, size_t len, int32_t *days)
{
	return parse_us(s, len, 0, days);
}

int pb_date_parse_any(const char *s, size_t len, int32_t *days)
{
	if (len > 4 && s[4] == '-')
		return pb_date_parse_iso(s, len, days);
	return pb_date_parse_us(s, len, days);
}

int pb_date_after_last_month(int32_t days)
{
	return days >= pb_date_from_ymd(9999, 12, 1);
}

/* The case of the day *day that a parser read (rc 0), or of a text it refused (rc -1). */
static enum pb_date_case classify(int rc, const int32_t *day, int32_t *days)
{
	if (rc < 0)
		return PB_DATE_MALFORMED;
	*days = *day;
	if (*day < pb_date_from_ymd(1, 1, 1))
		return PB_DATE_BEFORE_FIRST;
	if (*day > pb_date_from_ymd(9999, 12, 31))
		return PB_DATE_PAST_CALENDAR;
	return pb_date_after_last_month(*day) ? PB_DATE_AFTER_LAST : PB_DATE_OK;
}

enum pb_date_case pb_date_read(const char *s, size_t len, enum pb_date_form form, int32_t *days)
{
	char text[11];
	size_t n = form == PB_DATE_MONTH ? 7 : 10;
	int32_t day = 0;
	int rc;

	if (len != n)
		return PB_DATE_MALFORMED;
	memcpy(text, s, n);
	if (form == PB_DATE_MONTH)
		memcpy(text + 7, "-01", 3);
	/* Ten characters leave no room for a time, whose zone could move the day. */
	rc = parse_iso(text, 10, 1, &day);
	return classify(rc, &day, days);
}

enum pb_date_case pb_date_read_iso(const char *s, size_t len, int32_t *days)
{
	int32_t day = 0;
	int rc = parse_iso(s, len, 1, &day);

	return classify(rc, &day, days);
}

enum pb_date_case pb_date_read_any(const char *s, size_t len, int32_t *days)
{
	int32_t day = 0;
	int rc = len > 4 && s[4] == '-' ? parse_iso(s, len, 1, &day) : parse_us(s, len, 1, &day);

	return classify(rc, &day, days);
}

const char *pb_date_bound(enum pb_date_case c)
{
	switch (c) {
	case PB_DATE_BEFORE_FIRST:
		return "the first month supported is " PB_DATE_FIRST_MONTH;
	case PB_DATE_AFTER_LAST:
	case PB_DATE_PAST_CALENDAR:
		return "the last month supported is " PB_DATE_LAST_MONTH;
	default:
		return "";
	}
}
