/* The record loop shared by the single-stream and the split-file paths. */
#include "worker.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "date.h"
#include "read.h"
#include "tags.h"
#include "text.h"

#include "banned.h"

static void keep_error(struct pb_worker *w, uint64_t line, uint32_t col, const char *msg)
{
	struct pb_worker_error *e;

	e = realloc(w->errors, (w->nerrors + 1) * sizeof(*e));
	if (!e) {
		w->fatal = 1;
		return;
	}
	w->errors = e;
	e = &w->errors[w->nerrors];
	e->line = line;
	e->col = col;
	e->msg = strdup(msg);
	if (!e->msg) {
		w->fatal = 1;
		return;
	}
	w->nerrors++;
}

/* The month rule of format.h, reported at the field at fault. */
static int check_month(struct pb_worker *w, struct pb_csv *c, const struct pb_usage *u)
{
	struct pb_buf msg = PB_BUF_INIT;
	uint64_t line;
	uint32_t col;
	int usage;

	if (pb_month_check(w->month, w->parser.kind == PB_FORMAT_AWS_CUR, u, &msg, &usage) == 0) {
		pb_buf_release(&msg);
		return 0;
	}
	pb_csv_field_pos(c, usage ? pb_parser_date_field(&w->parser) : pb_parser_month_field(&w->parser), &line, &col);
	keep_error(w, line, col, pb_buf_str(&msg));
	pb_buf_release(&msg);
	return -1;
}

/*
 * A text the database would refuse: reported at the field that holds the bad byte at, found by its
 * address (a tag decoded from its escapes lies elsewhere: then the tags field).
 */
static void text_error(struct pb_worker *w, struct pb_csv *c, const char *at, const char *why)
{
	struct pb_buf msg = PB_BUF_INIT;
	size_t cols[PB_PARSER_MAXCOLS], n = pb_parser_columns(&w->parser, cols), i, field = SIZE_MAX;
	uint64_t line;
	uint32_t col;

	for (i = 0; i < n && field == SIZE_MAX; i++) {
		const struct pb_csv_field *f = &c->fields[cols[i]];

		if (at >= f->ptr && at < f->ptr + f->len)
			field = cols[i];
	}
	if (field == SIZE_MAX)
		field = pb_parser_tags_field(&w->parser);
	if (field == SIZE_MAX) {
		line = c->line;
		col = 1;
		pb_buf_addf(&msg, "%s in a text field", why);
	} else {
		pb_csv_field_pos(c, field, &line, &col);
		pb_buf_addf(&msg, "%s in column '%s'", why, pb_parser_field_name(&w->parser, field));
	}
	keep_error(w, line, col, pb_buf_str(&msg));
	pb_buf_release(&msg);
}

const char *pb_worker_name_kind(enum pb_name_kind kind)
{
	switch (kind) {
	case PB_NAME_ACCOUNT:
		return "account_name";
	case PB_NAME_SUBSCRIPTION:
		return "subscription_name";
	case PB_NAME_CUSTOMER:
		return "customer_name";
	case PB_NAME_TAG:
		return "tag";
	default:
		return NULL;
	}
}

/* Counts one line of (account, kind, name) in the names reduction. */
static int add_one(struct pb_reduce *names, struct pb_text account, enum pb_name_kind kind, struct pb_text name)
{
	struct pb_usage n;
	const char *k = pb_worker_name_kind(kind);

	memset(&n, 0, sizeof(n));
	n.account = account;
	n.category.ptr = k;
	n.category.len = strlen(k);
	n.service = name;
	/* Every text set: past the cap the reduction compares them all, a NULL one included (UBSan). */
	n.region.ptr = n.currency.ptr = n.charge_type.ptr = "";
	return pb_reduce_add(names, &n);
}

int pb_worker_add_name(struct pb_reduce *names, const struct pb_usage *u, const struct pb_tag_keys *keys,
		       struct pb_buf *scratch)
{
	struct pb_tags tags;
	int rc = 0;

	if (pb_worker_name_kind(u->name_kind) && u->name.len)
		rc = add_one(names, u->account, u->name_kind, u->name);
	/* No key recorded: the tags are not read at all. */
	if (!keys || (!keys->all && keys->n == 0))
		return rc;
	/* Tags that are not a flat object are not names: the rest of that field is left. */
	pb_tags_init(&tags, u->tags.ptr, u->tags.len);
	while (rc == 0 && u->tags.len && pb_tags_next(&tags, scratch) == 1) {
		struct pb_text t = {scratch->ptr, scratch->len};

		if (pb_tag_keys_want(keys, t.ptr, t.len))
			rc = add_one(names, u->account, PB_NAME_TAG, t);
	}
	return rc;
}

/* A text the names reduction would refuse (see reduce.h). */
static int name_text_bad(const char *p, size_t len, const char **at, const char **why)
{
	size_t bad;

	if (len > 65535)
		return PB_REDUCE_ERR_TOOLONG;
	if (pb_text_check(p, len, &bad, why) == 0)
		return 0;
	*at = p + bad;
	return PB_REDUCE_ERR_TEXT;
}

int pb_worker_check_name(const struct pb_usage *u, const struct pb_tag_keys *keys, struct pb_buf *scratch,
			 const char **at, const char **why)
{
	struct pb_tags tags;
	int rc = 0;

	if (pb_worker_name_kind(u->name_kind) && u->name.len)
		rc = name_text_bad(u->name.ptr, u->name.len, at, why);
	if (!keys || (!keys->all && keys->n == 0))
		return rc;
	pb_tags_init(&tags, u->tags.ptr, u->tags.len);
	while (rc == 0 && u->tags.len && pb_tags_next(&tags, scratch) == 1)
		if (pb_tag_keys_want(keys, scratch->ptr, scratch->len))
			rc = name_text_bad(scratch->ptr, scratch->len, at, why);
	return rc;
}

/* Records (or, in a summary, checks) the line's names. Returns as pb_reduce_add; a bad text is reported. */
static int add_names(struct pb_worker *w, struct pb_csv *c, const struct pb_usage *u, struct pb_buf *scratch)
{
	const char *at = NULL, *why = NULL;
	int rc;

	if (w->names) {
		rc = pb_worker_add_name(w->names, u, w->tag_keys, scratch);
		if (rc == PB_REDUCE_ERR_TEXT)
			pb_reduce_bad_text(w->names, &at, &why);
	} else {
		rc = pb_worker_check_name(u, w->tag_keys, scratch, &at, &why);
	}
	if (rc == PB_REDUCE_ERR_TEXT)
		text_error(w, c, at, why);
	return rc;
}

void pb_worker_run(struct pb_worker *w)
{
	struct pb_csv *c = w->csv;
	struct pb_buf err = PB_BUF_INIT, scratch = PB_BUF_INIT, tags = PB_BUF_INIT;
	/* A legacy CUR's tag columns, when tags are recorded: as CUR 2.0's resource_tags, through the same path. */
	int legacy_tags = w->parser.kind == PB_FORMAT_AWS_CUR && w->parser.aws.ntags && w->tag_keys &&
			  (w->tag_keys->all || w->tag_keys->n);
	struct pb_usage u;
	size_t field, j = 0;
	uint64_t line, rows = 0, pos;
	uint32_t col;
	int rc;

	for (;;) {
		pos = w->start + c->bytes;
		while (j < w->nstops && pos > w->stops[j])
			j++;
		if (j < w->nstops && pos == w->stops[j])
			break;
		rc = pb_csv_next(c);
		if (rc == PB_CSV_END)
			break;
		if (rc == PB_CSV_ERR_FATAL) {
			keep_error(w, pb_read_error_line(c->err_line, c->next_line), c->err_col, pb_buf_str(&c->err));
			w->fatal = 1;
			break;
		}
		if (rc == PB_CSV_ERR_RECORD) {
			keep_error(w, c->err_line, c->err_col, pb_buf_str(&c->err));
			if (w->nerrors >= w->max_errors || w->fatal)
				break;
			continue;
		}
		rows++;
		if ((rows & 0x3fff) == 0) {
			atomic_store_explicit(&w->bytes, c->bytes, memory_order_relaxed);
			atomic_store_explicit(&w->rows, rows, memory_order_relaxed);
		}
		if (pb_parser_row(&w->parser, c, &u, &err, &field) < 0) {
			pb_csv_field_pos(c, field, &line, &col);
			keep_error(w, line, col, pb_buf_str(&err));
			if (w->nerrors >= w->max_errors || w->fatal)
				break;
			continue;
		}
		if (!w->month)
			w->month = u.billing_month; /* standard input without --month: its first line's */
		if (check_month(w, c, &u) < 0) {
			if (w->nerrors >= w->max_errors || w->fatal)
				break;
			continue;
		}
		if (w->nerrors)
			continue;
		if (w->prices && u.ref.wants && !u.has_list) {
			/* The price lists and their connection serve one reader at a time. */
			pthread_mutex_lock(w->prices_lock);
			rc = pb_listprice_fill(w->prices, &u, &err);
			pthread_mutex_unlock(w->prices_lock);
			if (rc < 0) {
				keep_error(w, 0, 0, pb_buf_str(&err));
				w->fatal = w->dependency = 1;
				break;
			}
			w->parser.st.priced += (uint64_t)rc;
			w->parser.st.no_list -= (uint64_t)rc;
		}
		rc = pb_reduce_add(w->reduce, &u);
		if (rc == PB_REDUCE_ERR_TEXT) {
			const char *at, *why;

			pb_reduce_bad_text(w->reduce, &at, &why);
			text_error(w, c, at, why);
		}
		if (rc == 0 && legacy_tags) {
			rc = pb_aws_cur_legacy_tags(&w->parser.aws, c, &tags) < 0 ? PB_REDUCE_ERR_NOMEM : 0;
			u.tags.ptr = tags.ptr;
			u.tags.len = tags.len;
		}
		if (rc == 0)
			rc = add_names(w, c, &u, &scratch);
		if (rc == PB_REDUCE_ERR_TEXT) {
			if (w->nerrors >= w->max_errors || w->fatal)
				break;
			continue;
		}
		if (rc == PB_REDUCE_ERR_SPILL) {
			/* The disk, not the file: no line, and a dependency failure (exit 3). */
			struct pb_buf msg = PB_BUF_INIT;

			if (!pb_reduce_spill_message(w->reduce, &msg) || msg.failed) {
				pb_buf_reset(&msg);
				pb_buf_addstr(&msg, "cannot write the temporary file of the daily rows");
			}
			keep_error(w, 0, 0, pb_buf_str(&msg));
			pb_buf_release(&msg);
			w->fatal = w->dependency = 1;
			break;
		}
		if (rc < 0) {
			keep_error(w, c->line, 1,
				   rc == PB_MONEY_ERR_RANGE	 ? "sum out of range"
				   : rc == PB_REDUCE_ERR_TOOLONG ? "a text value is longer than 65535 bytes"
								 : "out of memory");
			w->fatal = 1;
			break;
		}
	}
	atomic_store(&w->bytes, c->bytes);
	atomic_store(&w->rows, rows);
	w->stopped_at = j;
	w->lines = c->next_line - 1;
	pb_buf_release(&err);
	pb_buf_release(&scratch);
	pb_buf_release(&tags);
}

void pb_worker_release(struct pb_worker *w)
{
	size_t i;

	for (i = 0; i < w->nerrors; i++)
		free(w->errors[i].msg);
	free(w->errors);
	w->errors = NULL;
	w->nerrors = 0;
}
