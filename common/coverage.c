/* Vendors linked in a month without its data (coverage.h). */
#include "coverage.h"

#include <stdio.h>
#include <stdlib.h>

#include "db.h"

#include "banned.h"

/* The aliases named per vendor; the rest are counted. */
#define NAMED 5

int pb_missing_vendors(PGconn *conn, const char *month, const char *run_id, struct pb_buf *out, struct pb_buf *err)
{
	char named[8];
	const char *p[3] = {month, run_id, named};
	PGresult *res;
	int i, n;

	snprintf(named, sizeof(named), "%d", NAMED);
	res = pb_db_query(
		conn,
		"SELECT pa.vendor, count(DISTINCT pa.alias), array_to_string((array_agg(DISTINCT pa.alias "
		"COLLATE \"C\" ORDER BY pa.alias COLLATE \"C\"))[1:$3::integer], ', ') FROM pb.partner_account pa "
		"WHERE pa.validity && daterange($1::date, ($1::date + interval '1 month')::date) AND NOT EXISTS "
		"(SELECT 1 FROM pb.aggregate_source s WHERE s.run_id = $2::bigint AND s.vendor = pa.vendor) "
		"GROUP BY pa.vendor ORDER BY pa.vendor",
		3, p, err);
	if (!res)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		long count = strtol(PQgetvalue(res, i, 1), NULL, 10);
		const char *vendor = PQgetvalue(res, i, 0);

		pb_buf_addf(out, "%sno %s import, though %s", i ? "; " : "", vendor, PQgetvalue(res, i, 2));
		if (count > NAMED)
			pb_buf_addf(out, " and %ld more", count - NAMED);
		pb_buf_addf(out, " %s %s links in the month", count > 1 ? "have" : "has", vendor);
	}
	PQclear(res);
	return n;
}
