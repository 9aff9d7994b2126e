/* Who runs a program, and on which host, as the records name them: text the database takes. */
#ifndef PB_WHO_H
#define PB_WHO_H

#include <stddef.h>

/*
 * The host's name into out (n bytes), each byte of it that is not UTF-8 (a name set by hand in Latin-1) and each
 * control character (a tab, an escape) as '?'; "" when it cannot be had.
 */
void pb_who_host(char *out, size_t n);

/*
 * The effective user's login name into out (n bytes), each byte that is not UTF-8 and each control character as '?';
 * "uid N" when none.
 */
void pb_who_login(char *out, size_t n);

/*
 * "LOGIN@HOST" into out (n bytes): the effective user's login name ("uid N" when it has none) and the host's,
 * each byte that is not UTF-8 and each control character as '?'.
 */
void pb_who(char *out, size_t n);

#endif
