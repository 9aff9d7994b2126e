/* Who runs a program and where, for the records: the login and host names, mended into text. */
#include "who.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "text.h"

#include "banned.h"

void pb_who_host(char *out, size_t n)
{
	char host[256] = "";

	/* Cut short, the name may lack its terminator: the buffer's last byte stays NUL. */
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	snprintf(out, n, "%s", host);
	pb_text_mend(out, strlen(out));
}

void pb_who_login(char *out, size_t n)
{
	const struct passwd *pw = getpwuid(geteuid());

	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(out, n, "%s", pw->pw_name);
	else
		snprintf(out, n, "uid %ld", (long)geteuid());
	pb_text_mend(out, strlen(out));
}

void pb_who(char *out, size_t n)
{
	char login[256], host[256];

	pb_who_login(login, sizeof(login));
	pb_who_host(host, sizeof(host));
	snprintf(out, n, "%s@%s", login, host);
	pb_text_mend(out, strlen(out));
}
