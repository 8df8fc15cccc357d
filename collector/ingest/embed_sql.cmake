# Writes a C file holding every migration as {version, name, sql}, in order.
# The version is the file name's leading number (001_init.sql -> 1). The
# files are DIR/*.sql (a directory, not a list: a list would not survive the
# command line of the build step).
file (GLOB FILES ${DIR}/*.sql)
list (SORT FILES)
set (body "/* Generated from the files in collector/sql; do not edit. */\n#include \"coll_migrate.h\"\n\nconst coll_migration_t coll_migrations[] = {\n")
foreach (f IN LISTS FILES)
    get_filename_component (name ${f} NAME_WE)
    string (REGEX MATCH "^[0-9]+" num ${name})
    math (EXPR version "${num}")
    file (READ ${f} sql HEX)
    string (REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" sql "${sql}")
    # Break the literal every 64 bytes so lines stay readable by compilers and people.
    string (REGEX REPLACE "((\\\\x[0-9a-f][0-9a-f]){64})" "\\1\"\n        \"" sql "${sql}")
    string (APPEND body "    {${version}, \"${name}\",\n        \"${sql}\"},\n")
endforeach ()
string (APPEND body "    {0, 0, 0},\n};\n")
file (WRITE ${OUT} "${body}")
