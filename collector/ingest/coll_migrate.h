/*  coll_migrate.h - versioned schema migrations (collector/sql/NNN_name.sql),
 *  embedded at build time and applied in order when the collector starts. */
#ifndef COLL_MIGRATE_H
#define COLL_MIGRATE_H

#include <libpq-fe.h>
#include <stddef.h>

typedef struct {
    int version; /* the file name's leading number */
    const char *name;
    const char *sql;
} coll_migration_t;

/* Every migration, ascending; the list ends with version 0. */
extern const coll_migration_t coll_migrations[];

/* Applies the migrations not yet recorded in vigil.schema_migrations, each in
 * its own transaction, under an advisory lock: safe to run twice, and safe with
 * two collectors starting at once. *applied (may be NULL) receives how many ran.
 * Returns 0, or VG_EDB / VG_ERETRY with the reason in err. */
int coll_migrate_apply (PGconn *conn, int *applied, char *err, size_t errlen);
/* The highest version recorded, 0 for none, negative on error. */
int coll_migrate_current (PGconn *conn);

#endif
