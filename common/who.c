/* Who runs a program and where, for the records: the login and host names, mended into text a terminal shows. */
#include "who.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

#include "banned.h"

/*
 * s as text a terminal shows as it is: each byte that is not UTF-8 as '?' (pb_text_mend), then each control
 * character too (a tab, an escape that would colour or move a terminal's cursor, a C1 control U+0080 to U+009F).
 */
static void mend(char *s)
{
	unsigned char *r = (unsigned char *)s, *w = r;

	pb_text_mend(s, strlen(s));
	for (; *r; r++) {
		if (r[0] == 0xc2 && r[1] >= 0x80 && r[1] <= 0x9f) {
			*w++ = '?';
			r++;
		} else
			*w++ = *r < 0x20 || *r == 0x7f ? '?' : *r;
	}
	*w = '\0';
}

void pb_who_host(char *out, size_t n)
{
	char host[256] = "";

	/* Cut short, the name may lack its terminator: the buffer's last byte stays NUL. */
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	snprintf(out, n, "%s", host);
	mend(out);
}

void pb_who_login(char *out, size_t n)
{
	const struct passwd *pw = getpwuid(geteuid());

	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(out, n, "%s", pw->pw_name);
	else
		snprintf(out, n, "uid %ld", (long)geteuid());
	mend(out);
}

void pb_who(char *out, size_t n)
{
	char login[256], host[256];

	pb_who_login(login, sizeof(login));
	pb_who_host(host, sizeof(host));
	snprintf(out, n, "%s@%s", login, host);
	mend(out);
}
