/* A growable, always NUL-terminated byte buffer with a size cap. */
#ifndef PB_BUF_H
#define PB_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * The buffer owns ptr. A failed append (allocation failure or the cap) empties
 * the buffer, keeps it valid, and sets failed until pb_buf_reset() or
 * pb_buf_release(); callers check failed once, after a series of appends.
 */
struct pb_buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t cap;
	int failed;
};

#define PB_BUF_DEFAULT_CAP ((size_t)1 << 30)
#define PB_BUF_INIT                               \
	{                                         \
		NULL, 0, 0, PB_BUF_DEFAULT_CAP, 0 \
	}

/* Prepares caller memory: empty, no allocation, the given cap (0: default). */
void pb_buf_init(struct pb_buf *b, size_t cap);
/* Frees what the buffer holds; it stays usable and empty. */
void pb_buf_release(struct pb_buf *b);
/* Empties the buffer and clears failed, keeping its allocation. */
void pb_buf_reset(struct pb_buf *b);
/* The text, never NULL: "" when nothing is held. Owned by the buffer. */
const char *pb_buf_str(const struct pb_buf *b);

/* Each returns 0, or -1 when the append failed (see failed). */
int pb_buf_add(struct pb_buf *b, const void *data, size_t len);
int pb_buf_addstr(struct pb_buf *b, const char *s);
int pb_buf_addch(struct pb_buf *b, char c);
int pb_buf_addf(struct pb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pb_buf_vaddf(struct pb_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as one RFC 4180 CSV field: quoted only when it holds a comma, quote or line break. */
int pb_buf_add_csv_field(struct pb_buf *b, const char *s, size_t len);
/*
 * pb_buf_add_csv_field of text from the data (a name, a reason): one that starts with a character a
 * spreadsheet would run as a formula (= + - @, a tab or a CR) gets a single quote before it, and each format
 * character in it (pb_text_format_char: a bidirectional override that would show the rest of the row reversed,
 * a line separator) is written as \uHHHH.
 */
int pb_buf_add_csv_text(struct pb_buf *b, const char *s, size_t len);
/*
 * Appends s as a field of COPY's text format: a backslash, tab, line feed or carriage return escaped, so that
 * a backslash does not take the character after it and a line break does not end the row.
 */
void pb_buf_add_copy_text(struct pb_buf *b, const char *s, size_t len);
/*
 * Appends the len bytes of s as one word of a POSIX shell's command line: as they are when each is a character a
 * shell reads as itself (letters, digits and _ @ % + = : , . / -, but '=' first, which zsh reads as a command's
 * path), else in single quotes (a quote in them as '\'').
 * Empty text is ''. Text with a character a terminal would act on rather than show (a control character but the
 * tab and the line feed, DEL, C1, a bidirectional or other format character, a byte that is not UTF-8) is in
 * $'...' instead, each byte of such a character as \ooo (octal), a quote as \' and a backslash as \\: the
 * same bytes to bash, zsh, ksh and POSIX.1-2024 shells, and shown as they are on a terminal.
 */
void pb_buf_add_shell_word(struct pb_buf *b, const char *s, size_t len);

#endif
