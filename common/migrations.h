/* The schema migrations, compiled in from schemas/ (see scripts/embed_sql.sh). */
#ifndef PB_MIGRATIONS_H
#define PB_MIGRATIONS_H

struct pb_migration {
	unsigned version; /* NNN of NNN_name.sql */
	const char *name;
	const char *sql;
};

/* In version order; the last one is the schema version these programs need. */
extern const struct pb_migration pb_migrations[];
extern const unsigned pb_nmigrations;

#endif
