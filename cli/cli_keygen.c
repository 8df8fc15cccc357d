/*  cli_keygen.c - `vigil keygen NAME`: writes NAME (the public key) and
 *  NAME_secret (both keys, mode 0600) in czmq's zcert format, with the
 *  metadata the collector reads from its allow-list: name, and hosts, the
 *  host names an agent with this key may write for. */
#include "cli_keygen.h"
#include "cli.h"

#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
cli_keygen_usage (FILE *out)
{
    fprintf (out,
             "usage: vigil keygen NAME [--dir DIR] [--hosts HOST,...] [--force]\n"
             "\n"
             "Makes a CURVE key pair for an agent or a collector: DIR/NAME holds the public\n"
             "key, DIR/NAME_secret both keys (readable by its owner only). Both are czmq zcert\n"
             "files. Copy an agent's public file into the collector's curve_allow_dir; the\n"
             "collector's public file goes to every agent (agent.curve_server_key).\n"
             "\n"
             "  --dir DIR         where to write (the current directory)\n"
             "  --hosts H1,H2     host names an agent with this key may write for (NAME);\n"
             "                    \"*\" for any (for a collector's own key it is ignored)\n"
             "  --force           replace files that exist\n"
             "\n"
             "example:\n"
             "  vigil keygen web-1 --dir /etc/vigil/keys\n"
             "  cp /etc/vigil/keys/web-1 /etc/vigil/agents.d/   # on the collector\n"
             "\n");
}

/* Host names: letters, digits, '.', '-', '_', separated by ','; or "*". */
static int
s_hosts_ok (const char *hosts)
{
    if (strcmp (hosts, "*") == 0)
        return 1;
    if (!*hosts || *hosts == ',')
        return 0;
    for (const char *p = hosts; *p; p++)
        if (!(isalnum ((unsigned char)*p) || strchr (".-_,", *p)) || (*p == ',' && p[1] == ','))
            return 0;
    return hosts[strlen (hosts) - 1] != ',';
}

static int
s_name_ok (const char *name)
{
    if (!*name || strlen (name) > 200 || name[0] == '.')
        return 0;
    for (const char *p = name; *p; p++)
        if (!(isalnum ((unsigned char)*p) || strchr (".-_", *p)))
            return 0;
    return 1;
}

int
cli_keygen_run (int argc, char **argv)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"hosts", required_argument, NULL, 'H'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = ".", *hosts = NULL;
    int force = 0, c;
    optind = 1;
    while ((c = getopt_long (argc, argv, "d:H:fh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case 'H':
            hosts = optarg;
            break;
        case 'f':
            force = 1;
            break;
        case 'h':
            cli_keygen_usage (stdout);
            return CLI_EXIT_OK;
        default:
            cli_keygen_usage (stderr);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf (stderr, "vigil keygen: give one NAME; see vigil keygen --help\n");
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (!s_name_ok (name)) {
        fprintf (stderr,
                 "vigil keygen: \"%s\" is not a key name: use letters, digits, '.', '-' and '_'\n",
                 name);
        return CLI_EXIT_USAGE;
    }
    if (!hosts)
        hosts = name;
    if (!s_hosts_ok (hosts)) {
        fprintf (stderr,
                 "vigil keygen: --hosts \"%s\" is not a list of host names like web-1,web-2 "
                 "(or \"*\")\n",
                 hosts);
        return CLI_EXIT_USAGE;
    }
    char pub[4096], sec[4096];
    snprintf (pub, sizeof pub, "%s/%s", dir, name);
    snprintf (sec, sizeof sec, "%s/%s_secret", dir, name);
    if (!force && (access (pub, F_OK) == 0 || access (sec, F_OK) == 0)) {
        fprintf (stderr,
                 "vigil keygen: %s or %s exists; keep it, or replace it with --force (agents "
                 "using the old key are then refused)\n",
                 pub, sec);
        return CLI_EXIT_FAIL;
    }
    zsys_handler_set (NULL);
    zcert_t *cert = zcert_new ();
    if (!cert) {
        fprintf (stderr, "vigil keygen: cannot make a key pair (libzmq without CURVE?)\n");
        return CLI_EXIT_FAIL;
    }
    zcert_set_meta (cert, "name", "%s", name);
    zcert_set_meta (cert, "hosts", "%s", hosts);
    /* The secret file is made unreadable to others before anything is in it. */
    mode_t old = umask (077);
    int rc = zcert_save (cert, pub);
    umask (old);
    if (rc == 0)
        rc = chmod (pub, 0644);
    if (rc != 0) {
        fprintf (stderr, "vigil keygen: cannot write %s or %s: %s\n", pub, sec, strerror (errno));
        zcert_destroy (&cert);
        return CLI_EXIT_FAIL;
    }
    printf ("wrote %s (public key %s) and %s\n", pub, zcert_public_txt (cert), sec);
    printf ("hosts it may write for: %s\n", hosts);
    zcert_destroy (&cert);
    return CLI_EXIT_OK;
}
