#include "manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "column.h"

void ecl_manifest_init(ecl_manifest *m)
{
    memset(m, 0, sizeof *m);
    m->schema_version = ECL_MANIFEST_SCHEMA_VERSION;
}

void ecl_manifest_release(ecl_manifest *m)
{
    char **strs[] = {&m->batch_id,       &m->table,          &m->partition_key,   &m->partition_value,
                     &m->partition,      &m->dataset,        &m->generator_version, &m->writer,
                     &m->config_hash,    &m->messiness,      &m->format,          &m->compression,
                     &m->created_at,     &m->ingestion_ts,   &m->event_time_column, &m->min_event_time,
                     &m->max_event_time, &m->min_event_dt,   &m->max_event_dt};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i].path);
    free(m->files);
    for (size_t i = 0; i < m->nschema; i++) {
        free(m->schema[i].name);
        free(m->schema[i].type);
    }
    free(m->schema);
    for (size_t i = 0; i < m->nmess; i++) {
        free(m->mess[i].column);
        free(m->mess[i].kind);
    }
    free(m->mess);
    ecl_manifest_init(m);
}

int ecl_manifest_set(char **field, const char *value)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return ECL_ENOMEM;
    free(*field);
    *field = copy;
    return 0;
}

/* Grows an array by one element; returns the new element (zeroed) or NULL. */
static void *push(void **arr, size_t *n, size_t size)
{
    void *p = realloc(*arr, (*n + 1) * size);
    if (!p)
        return NULL;
    *arr = p;
    void *el = (char *)p + *n * size;
    memset(el, 0, size);
    (*n)++;
    return el;
}

int ecl_manifest_add_file(ecl_manifest *m, const char *path, uint64_t bytes, uint64_t rows,
                          const char *sha256_hex)
{
    char *p = strdup(path);
    ecl_manifest_file *f = p ? push((void **)&m->files, &m->nfiles, sizeof *f) : NULL;
    if (!f) {
        free(p);
        return ECL_ENOMEM;
    }
    f->path = p;
    f->bytes = bytes;
    f->rows = rows;
    snprintf(f->sha256, sizeof f->sha256, "%s", sha256_hex ? sha256_hex : "");
    return 0;
}

int ecl_manifest_add_field(ecl_manifest *m, const char *name, const char *type, bool nullable)
{
    char *n = strdup(name), *t = strdup(type);
    ecl_manifest_field *f = n && t ? push((void **)&m->schema, &m->nschema, sizeof *f) : NULL;
    if (!f) {
        free(n);
        free(t);
        return ECL_ENOMEM;
    }
    f->name = n;
    f->type = t;
    f->nullable = nullable;
    return 0;
}

int ecl_manifest_add_mess(ecl_manifest *m, const char *column, const char *kind, uint64_t count)
{
    for (size_t i = 0; i < m->nmess; i++)
        if (strcmp(m->mess[i].column, column) == 0 && strcmp(m->mess[i].kind, kind) == 0) {
            m->mess[i].count += count;
            return 0;
        }
    char *c = strdup(column), *k = strdup(kind);
    ecl_manifest_mess *x = c && k ? push((void **)&m->mess, &m->nmess, sizeof *x) : NULL;
    if (!x) {
        free(c);
        free(k);
        return ECL_ENOMEM;
    }
    x->column = c;
    x->kind = k;
    x->count = count;
    return 0;
}

void ecl_iso_utc(int64_t micros, bool with_micros, char out[32])
{
    int64_t secs = micros / 1000000, us = micros % 1000000;
    if (us < 0) {
        us += 1000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int y, mo, d;
    ecl_civil_from_days((int32_t)days, &y, &mo, &d);
    if (with_micros)
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y, mo, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60), (int)us);
    else
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60));
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

int ecl_manifest_write(const ecl_manifest *m, ecl_buf *out, ecl_err *e)
{
    json_t *root = json_object();
    json_t *files = json_array(), *schema = json_array(), *mess = json_object(), *inj = json_array();
    uint64_t mess_total = 0;
    for (size_t i = 0; i < m->nfiles; i++)
        json_array_append_new(files, json_pack("{s:s,s:I,s:I,s:s}", "path", m->files[i].path, "bytes",
                                               (json_int_t)m->files[i].bytes, "rows",
                                               (json_int_t)m->files[i].rows, "sha256",
                                               m->files[i].sha256));
    for (size_t i = 0; i < m->nschema; i++)
        json_array_append_new(schema, json_pack("{s:s,s:s,s:b}", "name", m->schema[i].name, "type",
                                                m->schema[i].type, "nullable", m->schema[i].nullable));
    for (size_t i = 0; i < m->nmess; i++) {
        json_array_append_new(inj, json_pack("{s:s,s:s,s:I}", "column", m->mess[i].column, "kind",
                                             m->mess[i].kind, "count", (json_int_t)m->mess[i].count));
        mess_total += m->mess[i].count;
    }
    json_object_set_new(mess, "injected", inj);
    json_object_set_new(mess, "total", json_integer((json_int_t)mess_total));
    struct { const char *k; const char *v; } strs[] = {
        {"batch_id", m->batch_id},
        {"table", m->table},
        {"partition", m->partition},
        {"partition_key", m->partition_key},
        {"partition_value", m->partition_value},
        {"dataset", m->dataset},
        {"generator_version", m->generator_version},
        {"writer", m->writer},
        {"config_hash", m->config_hash},
        {"messiness", m->messiness},
        {"format", m->format},
        {"compression", m->compression},
        {"created_at", m->created_at},
        {"ingestion_ts", m->ingestion_ts},
        {"event_time_column", m->event_time_column},
        {"min_event_time", m->min_event_time},
        {"max_event_time", m->max_event_time},
        {"min_event_dt", m->min_event_dt},
        {"max_event_dt", m->max_event_dt},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        json_object_set_new(root, strs[i].k, str_or_null(strs[i].v));
    json_object_set_new(root, "seed", json_integer((json_int_t)m->seed));
    json_object_set_new(root, "total_rows", json_integer((json_int_t)m->total_rows));
    json_object_set_new(root, "total_bytes", json_integer((json_int_t)m->total_bytes));
    json_object_set_new(root, "schema_version", json_integer(m->schema_version));
    json_object_set_new(root, "files", files);
    json_object_set_new(root, "schema", schema);
    json_object_set_new(root, "mess", mess);
    char *text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2));
    json_decref(root);
    if (!text)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory writing a manifest");
    int rc = ecl_buf_puts(out, text) || ecl_buf_putc(out, '\n');
    free(text);
    return rc ? ecl_err_set(e, ECL_ENOMEM, "out of memory writing a manifest") : 0;
}

/* Reads an optional string field: absent or null -> NULL; any other type is an error. */
static int get_str(json_t *o, const char *key, char **dst, bool required, const char *name,
                   ecl_err *e)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': missing field '%s'", name, key);
        return 0;
    }
    if (!json_is_string(v))
        return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': field '%s' is not a string", name, key);
    return ecl_manifest_set(dst, json_string_value(v))
               ? ecl_err_set(e, ECL_ENOMEM, "out of memory reading manifest '%s'", name)
               : 0;
}

static int get_uint(json_t *o, const char *key, uint64_t *dst, bool required, const char *name,
                    ecl_err *e)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (required)
            return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': missing field '%s'", name, key);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': field '%s' is not a non-negative integer",
                           name, key);
    *dst = (uint64_t)json_integer_value(v);
    return 0;
}

static bool is_sha256_hex(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

static int parse_files(ecl_manifest *m, json_t *files, const char *name, ecl_err *e)
{
    if (!json_is_array(files))
        return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': 'files' is not a list", name);
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        char *path = NULL, *sha = NULL;
        uint64_t bytes = 0, rows = 0;
        int rc = json_is_object(f) ? 0
                                   : ecl_err_set(e, ECL_EFORMAT, "manifest '%s': files[%zu] is not an object",
                                                 name, i);
        if (!rc)
            rc = get_str(f, "path", &path, true, name, e);
        if (!rc)
            rc = get_str(f, "sha256", &sha, true, name, e);
        if (!rc)
            rc = get_uint(f, "bytes", &bytes, true, name, e);
        if (!rc)
            rc = get_uint(f, "rows", &rows, true, name, e);
        if (!rc && !is_sha256_hex(sha))
            rc = ecl_err_set(e, ECL_EFORMAT, "manifest '%s': files[%zu].sha256 is not a SHA-256 hex digest",
                             name, i);
        if (!rc && (path[0] == '/' || strstr(path, "..")))
            rc = ecl_err_set(e, ECL_EFORMAT, "manifest '%s': files[%zu].path '%s' leaves the lake", name,
                             i, path);
        if (!rc && ecl_manifest_add_file(m, path, bytes, rows, sha))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading manifest '%s'", name);
        free(path);
        free(sha);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_schema(ecl_manifest *m, json_t *schema, const char *name, ecl_err *e)
{
    if (!schema || json_is_null(schema))
        return 0;
    if (!json_is_array(schema))
        return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': 'schema' is not a list", name);
    size_t i;
    json_t *f;
    json_array_foreach(schema, i, f) {
        json_t *n = json_object_get(f, "name"), *t = json_object_get(f, "type");
        if (!json_is_string(n) || !json_is_string(t))
            return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': schema[%zu] needs a name and a type",
                               name, i);
        if (ecl_manifest_add_field(m, json_string_value(n), json_string_value(t),
                                   json_is_true(json_object_get(f, "nullable"))))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading manifest '%s'", name);
    }
    return 0;
}

static int parse_mess(ecl_manifest *m, json_t *mess, const char *name, ecl_err *e)
{
    json_t *inj = mess ? json_object_get(mess, "injected") : NULL;
    if (!inj)
        return 0;
    if (!json_is_array(inj))
        return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': 'mess.injected' is not a list", name);
    size_t i;
    json_t *x;
    json_array_foreach(inj, i, x) {
        json_t *c = json_object_get(x, "column"), *k = json_object_get(x, "kind"),
               *n = json_object_get(x, "count");
        if (!json_is_string(c) || !json_is_string(k) || !json_is_integer(n))
            return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': mess.injected[%zu] is malformed", name, i);
        if (ecl_manifest_add_mess(m, json_string_value(c), json_string_value(k),
                                  (uint64_t)json_integer_value(n)))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading manifest '%s'", name);
    }
    return 0;
}

int ecl_manifest_parse(ecl_manifest *m, const char *name, const void *data, size_t n, ecl_err *e)
{
    ecl_manifest_init(m);
    json_error_t je;
    json_t *root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return ecl_err_set(e, ECL_EFORMAT, "manifest '%s': line %d column %d: %s", name, je.line,
                           je.column, je.text);
    int rc = json_is_object(root) ? 0
                                  : ecl_err_set(e, ECL_EFORMAT, "manifest '%s': not a JSON object", name);
    struct { const char *k; char **dst; bool req; } strs[] = {
        {"batch_id", &m->batch_id, true},
        {"table", &m->table, true},
        {"partition", &m->partition, true},
        {"partition_key", &m->partition_key, false},
        {"partition_value", &m->partition_value, false},
        {"dataset", &m->dataset, false},
        {"generator_version", &m->generator_version, false},
        {"writer", &m->writer, false},
        {"config_hash", &m->config_hash, false},
        {"messiness", &m->messiness, false},
        {"format", &m->format, false},
        {"compression", &m->compression, false},
        {"created_at", &m->created_at, false},
        {"ingestion_ts", &m->ingestion_ts, false},
        {"event_time_column", &m->event_time_column, false},
        {"min_event_time", &m->min_event_time, false},
        {"max_event_time", &m->max_event_time, false},
        {"min_event_dt", &m->min_event_dt, false},
        {"max_event_dt", &m->max_event_dt, false},
    };
    for (size_t i = 0; !rc && i < sizeof strs / sizeof strs[0]; i++)
        rc = get_str(root, strs[i].k, strs[i].dst, strs[i].req, name, e);
    uint64_t sv = 0;
    if (!rc)
        rc = get_uint(root, "seed", &m->seed, false, name, e);
    if (!rc)
        rc = get_uint(root, "total_rows", &m->total_rows, true, name, e);
    if (!rc)
        rc = get_uint(root, "total_bytes", &m->total_bytes, false, name, e);
    if (!rc)
        rc = get_uint(root, "schema_version", &sv, false, name, e);
    if (!rc && sv > ECL_MANIFEST_SCHEMA_VERSION)
        rc = ecl_err_set(e, ECL_EFORMAT, "manifest '%s': schema_version %llu is newer than this tool (%d)",
                         name, (unsigned long long)sv, ECL_MANIFEST_SCHEMA_VERSION);
    m->schema_version = (int)sv;
    json_t *files = json_object_get(root, "files");
    if (!rc && !files)
        rc = ecl_err_set(e, ECL_EFORMAT, "manifest '%s': missing field 'files'", name);
    if (!rc)
        rc = parse_files(m, files, name, e);
    if (!rc)
        rc = parse_schema(m, json_object_get(root, "schema"), name, e);
    if (!rc)
        rc = parse_mess(m, json_object_get(root, "mess"), name, e);
    if (!rc) {
        uint64_t sum = 0;
        for (size_t i = 0; i < m->nfiles; i++)
            sum += m->files[i].rows;
        if (sum != m->total_rows)
            rc = ecl_err_set(e, ECL_EFORMAT,
                             "manifest '%s': total_rows %llu does not equal the files' rows (%llu)", name,
                             (unsigned long long)m->total_rows, (unsigned long long)sum);
    }
    json_decref(root);
    if (rc)
        ecl_manifest_release(m);
    return rc;
}
