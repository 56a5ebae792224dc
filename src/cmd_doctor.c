/* ecomlake doctor - pre-flight checks before a long run: is everything a backfill or upload needs
 * there, writable and reachable? Each check prints ok, warn or FAIL with advice. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sqlite3.h>
#include <zlib.h>
#include <zstd.h>

#include "../lib/db.h"
#include "../lib/io.h"
#include "../lib/awscreds.h"
#include "../lib/sink.h"
#include "../lib/version.h"
#include "commands.h"

static const char help[] =
    "usage: ecomlake doctor [--dest URL] [--state URL] [--min-free-gb N] [--json]\n"
    "\n"
    "Runs pre-flight checks and says what to fix before a long run:\n"
    "  - the libraries this binary runs on (curl, zstd, zlib, sqlite);\n"
    "  - SOURCE_DATE_EPOCH, when set, is a valid time;\n"
    "  - a local --dest exists or can be created, is writable with fsync, and has free space;\n"
    "  - an s3:// or gs:// --dest has credentials and answers a listing;\n"
    "  - the --state database opens and answers a query;\n"
    "  - the time-zone database has the zones the restaurant scheduler uses.\n"
    "\n"
    "Options:\n"
    "  --dest URL         lake destination to check (default ./lake)\n"
    "  --state URL        ledger: a SQLite path or postgresql:// URL (default: none checked)\n"
    "  --min-free-gb N    warn below this much free space at a local --dest (default 2)\n"
    "  --json             one JSON object per check on stdout\n"
    "\n"
    "Exit status: 0 when no check failed (warnings allowed), 1 otherwise.\n"
    "\n"
    "Examples:\n"
    "  ecomlake doctor\n"
    "  ecomlake doctor --dest s3://my-bucket/raw --state postgresql://etl@db/ecomlake\n";

typedef enum { CK_OK, CK_WARN, CK_FAIL } ck_status;

typedef struct doctor {
    bool json;
    int failed, warned;
} doctor;

static void json_str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void report(doctor *d, ck_status st, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(doctor *d, ck_status st, const char *check, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    static const char *const names[] = {"ok", "warn", "fail"};
    if (st == CK_FAIL)
        d->failed++;
    else if (st == CK_WARN)
        d->warned++;
    if (d->json) {
        printf("{\"check\":");
        json_str(check);
        printf(",\"status\":\"%s\",\"detail\":", names[st]);
        json_str(msg);
        puts("}");
    } else {
        printf("%-4s  %-12s %s\n", st == CK_OK ? "ok" : st == CK_WARN ? "warn" : "FAIL", check, msg);
    }
}

static void check_libraries(doctor *d)
{
    curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
    report(d, CK_OK, "libraries", "ecomlake %s; curl %s (%s), zstd %s, zlib %s, sqlite %s",
           ECL_VERSION, cv->version, cv->ssl_version ? cv->ssl_version : "no TLS",
           ZSTD_versionString(), zlibVersion(), sqlite3_libversion());
    if (!(cv->features & CURL_VERSION_SSL))
        report(d, CK_WARN, "libraries", "curl has no TLS support: https endpoints will fail");
}

static void check_epoch(doctor *d)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (!s)
        return;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        report(d, CK_FAIL, "epoch", "SOURCE_DATE_EPOCH='%s' is not a whole number of seconds; "
               "unset it or set e.g. SOURCE_DATE_EPOCH=$(date +%%s)", s);
    else
        report(d, CK_OK, "epoch", "SOURCE_DATE_EPOCH=%lld fixes every wall-clock value written", v);
}

static void check_local_dest(doctor *d, const char *dir, double min_free_gb)
{
    ecl_err e = ECL_ERR_INIT;
    if (ecl_mkdirs(dir, &e)) {
        report(d, CK_FAIL, "dest", "%s", e.msg);
        return;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/.ecomlake-doctor-%ld", dir, (long)getpid());
    static const char data[] = "ecomlake doctor probe\n";
    if (ecl_write_file_atomic(probe, data, sizeof data - 1, &e)) {
        report(d, CK_FAIL, "dest", "'%s' is not writable: %s", dir, e.msg);
        return;
    }
    unlink(probe);
    struct statvfs sv;
    if (statvfs(dir, &sv) != 0) {
        report(d, CK_WARN, "dest", "cannot read free space of '%s': %s", dir, strerror(errno));
        return;
    }
    double free_gb = (double)sv.f_bavail * (double)sv.f_frsize / 1e9;
    if (free_gb < min_free_gb)
        report(d, CK_WARN, "dest",
               "'%s' is writable but has only %.2f GB free (a five-year default backfill needs "
               "about %.0f GB; see --min-free-gb)", dir, free_gb, min_free_gb);
    else
        report(d, CK_OK, "dest", "'%s' is writable (durable rename works), %.1f GB free", dir, free_gb);
}

static int stop_after_first(const char *key, const ecl_obj_info *info, void *ctx)
{
    (void)key;
    (void)info;
    ++*(int *)ctx;
    return 1;
}

static void check_remote_dest(doctor *d, const char *url)
{
    bool s3 = strncmp(url, "s3://", 5) == 0;
    if (s3) {
        /* the same chain the sink uses: environment, shared files, container, instance metadata */
        ecl_err ce = ECL_ERR_INIT;
        ecl_awscreds *c = NULL;
        if (ecl_awscreds_new(&c, NULL, &ce)) {
            report(d, CK_FAIL, "credentials", "%s", ce.msg);
            return;
        }
        char ak[256];
        ecl_awscreds_access_key(c, ak, sizeof ak);
        report(d, CK_OK, "credentials", "access key '%s' from %s", ak, ecl_awscreds_source(c));
        ecl_awscreds_free(c);
    } else {
        const char *gac = getenv("GOOGLE_APPLICATION_CREDENTIALS");
        if (getenv("STORAGE_EMULATOR_HOST"))
            report(d, CK_OK, "credentials", "STORAGE_EMULATOR_HOST is set: no credentials needed");
        else if (gac && access(gac, R_OK) != 0)
            report(d, CK_FAIL, "credentials", "GOOGLE_APPLICATION_CREDENTIALS='%s' cannot be read: %s",
                   gac, strerror(errno));
        else if (gac)
            report(d, CK_OK, "credentials", "GOOGLE_APPLICATION_CREDENTIALS='%s' is readable", gac);
        else
            report(d, CK_WARN, "credentials",
                   "GOOGLE_APPLICATION_CREDENTIALS is not set: the gcloud ADC file or the metadata "
                   "server must provide a token ('gcloud auth application-default login')");
    }
    ecl_err e = ECL_ERR_INIT;
    ecl_sink_opts so;
    ecl_sink_opts_default(&so);
    ecl_sink *s = NULL;
    if (ecl_sink_open(&s, url, &so, &e)) {
        report(d, CK_FAIL, "dest", "%s", e.msg);
        return;
    }
    int seen = 0;
    if (s->ops->list(s, "", stop_after_first, &seen, &e))
        report(d, CK_FAIL, "dest", "listing '%s' failed: %s", url, e.msg);
    else
        report(d, CK_OK, "dest", "'%s' answers a listing (%s)", url, seen ? "not empty" : "empty");
    ecl_sink_free(s);
}

static void check_state(doctor *d, const char *url)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_db *db = NULL;
    if (ecl_db_open(&db, url, &e)) {
        report(d, CK_FAIL, "state", "%s", e.msg);
        return;
    }
    int64_t one = 0;
    bool found = false;
    if (ecl_db_query_int(db, "SELECT 1", 0, NULL, &one, &found, &e) || !found || one != 1)
        report(d, CK_FAIL, "state", "'%s' opened but does not answer: %s", ecl_db_name(db), e.msg);
    else
        report(d, CK_OK, "state", "'%s' answers queries", ecl_db_name(db));
    ecl_db_close(db);
}

static void check_zoneinfo(doctor *d)
{
    const char *dir = getenv("TZDIR") ? getenv("TZDIR") : "/usr/share/zoneinfo";
    char path[4200];
    snprintf(path, sizeof path, "%s/America/Sao_Paulo", dir);
    if (access(path, R_OK) == 0)
        report(d, CK_OK, "zoneinfo", "time-zone database found");
    else
        report(d, CK_WARN, "zoneinfo", "no time-zone database (America/Sao_Paulo): 'continuous' "
               "and 'window' fall back to UTC offsets; install the tzdata package");
}

enum { O_DEST = 1000, O_STATE, O_MINFREE, O_JSON };

static int run(int argc, char **argv);
const cli_cmd cmd_doctor = {"doctor", "pre-flight checks: libraries, destination, credentials, state, disk",
                            help, run};

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"dest", required_argument, 0, O_DEST},
        {"state", required_argument, 0, O_STATE},
        {"min-free-gb", required_argument, 0, O_MINFREE},
        {"json", no_argument, 0, O_JSON},
        {0, 0, 0, 0},
    };
    const char *dest = "./lake", *state = NULL;
    double min_free = 2;
    doctor d = {0};
    int c;
    while ((c = cli_getopt(&cmd_doctor, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case O_DEST: dest = optarg; break;
        case O_STATE: state = optarg; break;
        case O_MINFREE:
            if (cli_parse_double(&cmd_doctor, "--min-free-gb", optarg, 0, 1e6, &min_free))
                return EXIT_USAGE;
            break;
        case O_JSON: d.json = true; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_doctor, "unexpected argument '%s'", argv[optind]);

    check_libraries(&d);
    check_epoch(&d);
    if (ecl_sink_is_remote(dest)) {
        check_remote_dest(&d, dest);
    } else {
        const char *dir = strncmp(dest, "file://", 7) == 0 ? dest + 7 : dest;
        check_local_dest(&d, dir, min_free);
    }
    if (state)
        check_state(&d, state);
    check_zoneinfo(&d);
    if (!d.json)
        printf("\n%d failed, %d %s\n", d.failed, d.warned, d.warned == 1 ? "warning" : "warnings");
    return d.failed ? EXIT_FAILURE_ : EXIT_OK;
}
