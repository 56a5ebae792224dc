/* Parquet reader for flat schemas. The footer is parsed into small structs; a row group is decoded
 * column by column, page by page: levels, then values into a staging array in our physical form
 * (int32 / int64 / double / bool / string slices), then scattered into the batch around the nulls.
 * Every size and offset in the file is checked before use, and decoded sizes are bounded by
 * max_bytes, so a hostile file fails with ECL_EFORMAT (or ECL_ENOMEM at the bound), never worse. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "parquet.h"
#include "pq_format.h"
#include "rle.h"
#include "thrift.h"

#define DEFAULT_MAX_BYTES ((size_t)8 << 30)

typedef struct pq_leaf {
    int phys;
    int type_length;
    int rep;
    int ct;  /* converted type or -1 */
    int lt;  /* logical type union id or 0 */
    int unit; /* time unit for TIMESTAMP / TIME logical types */
    int bit_width;
    bool is_signed;
    int precision, scale;
    bool has_scale, has_precision;
    const uint8_t *name;
    size_t name_len;
    int num_children;
    bool has_children;
} pq_leaf;

/* How the physical values of a column become ours. */
enum conv {
    CV_BOOL,       /* BOOLEAN -> bool */
    CV_I32,        /* INT32 -> int32 (INT32, DATE) */
    CV_I32_I64,    /* INT32 -> int64 (DECIMAL, sign-extended) */
    CV_U32_I64,    /* INT32 unsigned -> int64 */
    CV_I64,        /* INT64 -> int64 */
    CV_I64_MILLI,  /* INT64 ms -> µs */
    CV_I64_NANO,   /* INT64 ns -> µs */
    CV_INT96,      /* INT96 -> µs */
    CV_FLOAT,      /* FLOAT -> double */
    CV_DOUBLE,     /* DOUBLE -> double */
    CV_STR,        /* BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY -> string */
    CV_UUID,       /* FIXED_LEN_BYTE_ARRAY(16) UUID -> canonical text */
    CV_DEC_BE,     /* BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY big-endian two's complement -> int64 */
};

typedef struct pq_chunk {
    int phys;
    ecl_codec codec;
    bool codec_ok;
    int codec_raw;
    int64_t num_values;
    int64_t comp, unc;
    unsigned enc_mask;
    int64_t data_off, dict_off;
    ecl_pq_raw_stats rs;
} pq_chunk;

typedef struct pq_rgroup {
    int64_t num_rows;
    pq_chunk *cols;
} pq_rgroup;

typedef struct pq_sv {
    const uint8_t *p;
    size_t n;
} pq_sv;

/* Decoded values of one page or of a dictionary, in our physical form. */
typedef struct pq_stage {
    ecl_buf fixed; /* n values of width w */
    pq_sv *sv;
    size_t svcap;
    ecl_buf text; /* bytes the string slices point into when they cannot point into the page */
    size_t n;
} pq_stage;

struct ecl_pq_reader {
    const uint8_t *data;
    size_t n;
    void *map;
    size_t maplen;
    size_t meta_end; /* byte where the footer starts: pages live before it */
    ecl_schema schema;
    pq_leaf *leaves;
    enum conv *conv;
    size_t ncols;
    pq_rgroup *rgs;
    size_t nrg;
    int64_t num_rows;
    char **kv; /* key, value pairs (value may be NULL) */
    size_t nkv;
    char *created_by;
    size_t max_bytes;
    ecl_codec_ctx *cc;
    ecl_buf page;
    uint8_t *levels;
    size_t levcap;
    uint32_t *idx;
    size_t idxcap;
    int64_t *dl; /* delta scratch */
    size_t dlcap;
    pq_stage stage, dict;
    bool have_dict;
};

/* ---------------------------------------------------------------- footer */

static int fmt_err(ecl_err *e, const char *what)
{
    return ecl_err_set(e, ECL_EFORMAT, "corrupt parquet footer: %s", what);
}

static void parse_time_unit(ecl_thr_r *t, pq_leaf *l)
{
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        if (type == ECL_THR_STRUCT && id >= 1 && id <= 3)
            l->unit = id;
        ecl_thr_r_skip(t, type);
    }
    ecl_thr_r_struct_end(t);
}

static void parse_logical(ecl_thr_r *t, pq_leaf *l)
{
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        if (type != ECL_THR_STRUCT) {
            ecl_thr_r_skip(t, type);
            continue;
        }
        l->lt = id;
        int16_t l2, id2;
        int t2;
        ecl_thr_r_struct_begin(t, &l2);
        while (ecl_thr_r_field(t, &l2, &t2, &id2)) {
            if (id == PQ_LT_DECIMAL && id2 == 1) {
                l->scale = ecl_thr_r_i32_typed(t, t2);
                l->has_scale = true;
            } else if (id == PQ_LT_DECIMAL && id2 == 2) {
                l->precision = ecl_thr_r_i32_typed(t, t2);
                l->has_precision = true;
            } else if ((id == PQ_LT_TIMESTAMP || id == PQ_LT_TIME) && id2 == 2 && t2 == ECL_THR_STRUCT) {
                parse_time_unit(t, l);
            } else if (id == PQ_LT_INTEGER && id2 == 1) {
                l->bit_width = ecl_thr_r_i32_typed(t, t2);
            } else if (id == PQ_LT_INTEGER && id2 == 2) {
                l->is_signed = t2 == ECL_THR_TRUE;
            } else {
                ecl_thr_r_skip(t, t2);
            }
        }
        ecl_thr_r_struct_end(t);
    }
    ecl_thr_r_struct_end(t);
}

static void parse_schema_element(ecl_thr_r *t, pq_leaf *l)
{
    memset(l, 0, sizeof *l);
    l->phys = -1;
    l->ct = -1;
    l->rep = PQ_REQUIRED;
    l->is_signed = true;
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        switch (id) {
        case 1: l->phys = ecl_thr_r_i32_typed(t, type); break;
        case 2: l->type_length = ecl_thr_r_i32_typed(t, type); break;
        case 3: l->rep = ecl_thr_r_i32_typed(t, type); break;
        case 4:
            if (type != ECL_THR_BINARY) {
                ecl_thr_r_fail(t);
                break;
            }
            l->name = ecl_thr_r_binary(t, &l->name_len);
            break;
        case 5:
            l->num_children = ecl_thr_r_i32_typed(t, type);
            l->has_children = true;
            break;
        case 6: l->ct = ecl_thr_r_i32_typed(t, type); break;
        case 7:
            l->scale = ecl_thr_r_i32_typed(t, type);
            l->has_scale = true;
            break;
        case 8:
            l->precision = ecl_thr_r_i32_typed(t, type);
            l->has_precision = true;
            break;
        case 10:
            if (type == ECL_THR_STRUCT)
                parse_logical(t, l);
            else
                ecl_thr_r_skip(t, type);
            break;
        default: ecl_thr_r_skip(t, type);
        }
    }
    ecl_thr_r_struct_end(t);
}

static void parse_stats(ecl_thr_r *t, ecl_pq_raw_stats *c)
{
    int16_t last, id;
    int type;
    c->present = true;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        const uint8_t **pp = NULL;
        size_t *pl = NULL;
        switch (id) {
        case 1: pp = &c->max_dep; pl = &c->max_dep_len; break;
        case 2: pp = &c->min_dep; pl = &c->min_dep_len; break;
        case 3:
            c->null_count = ecl_thr_r_i64_typed(t, type);
            c->has_null_count = true;
            continue;
        case 5: pp = &c->max; pl = &c->max_len; break;
        case 6: pp = &c->min; pl = &c->min_len; break;
        default: break;
        }
        if (pp && type == ECL_THR_BINARY)
            *pp = ecl_thr_r_binary(t, pl);
        else
            ecl_thr_r_skip(t, type);
    }
    ecl_thr_r_struct_end(t);
}

static void parse_column_meta(ecl_thr_r *t, pq_chunk *c)
{
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        switch (id) {
        case 1: c->phys = ecl_thr_r_i32_typed(t, type); break;
        case 4:
            c->codec_raw = ecl_thr_r_i32_typed(t, type);
            c->codec_ok = ecl_codec_from_parquet(c->codec_raw, &c->codec) == 0;
            break;
        case 2:
            if (type == ECL_THR_LIST) {
                int et;
                size_t n = ecl_thr_r_list(t, &et);
                for (size_t i = 0; i < n && !ecl_thr_r_error(t); i++) {
                    int32_t enc = ecl_thr_r_i32_typed(t, et);
                    if (enc >= 0 && enc < 32)
                        c->enc_mask |= 1u << enc;
                }
            } else {
                ecl_thr_r_skip(t, type);
            }
            break;
        case 5: c->num_values = ecl_thr_r_i64_typed(t, type); break;
        case 6: c->unc = ecl_thr_r_i64_typed(t, type); break;
        case 7: c->comp = ecl_thr_r_i64_typed(t, type); break;
        case 9: c->data_off = ecl_thr_r_i64_typed(t, type); break;
        case 11: c->dict_off = ecl_thr_r_i64_typed(t, type); break;
        case 12:
            if (type == ECL_THR_STRUCT)
                parse_stats(t, &c->rs);
            else
                ecl_thr_r_skip(t, type);
            break;
        default: ecl_thr_r_skip(t, type);
        }
    }
    ecl_thr_r_struct_end(t);
}

/* Returns false when the chunk lives in another file. */
static bool parse_column_chunk(ecl_thr_r *t, pq_chunk *c)
{
    int16_t last, id;
    int type;
    bool external = false;
    c->phys = -1;
    c->dict_off = -1;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        if (id == 1) {
            external = true;
            ecl_thr_r_skip(t, type);
        } else if (id == 3 && type == ECL_THR_STRUCT) {
            parse_column_meta(t, c);
        } else {
            ecl_thr_r_skip(t, type);
        }
    }
    ecl_thr_r_struct_end(t);
    return !external;
}

static int parse_row_group(ecl_pq_reader *r, ecl_thr_r *t, pq_rgroup *g, ecl_err *e)
{
    int16_t last, id;
    int type;
    bool have_cols = false, external = false;
    g->num_rows = -1;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        if (id == 1 && type == ECL_THR_LIST && !have_cols) {
            int et;
            size_t n = ecl_thr_r_list(t, &et);
            if (n != r->ncols || et != ECL_THR_STRUCT) {
                ecl_thr_r_fail(t);
                break;
            }
            g->cols = calloc(n ? n : 1, sizeof *g->cols);
            if (!g->cols)
                return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
            for (size_t i = 0; i < n && !ecl_thr_r_error(t); i++)
                external |= !parse_column_chunk(t, &g->cols[i]);
            have_cols = true;
        } else if (id == 3) {
            g->num_rows = ecl_thr_r_i64_typed(t, type);
        } else {
            ecl_thr_r_skip(t, type);
        }
    }
    ecl_thr_r_struct_end(t);
    if (ecl_thr_r_error(t))
        return fmt_err(e, "bad row group");
    if (external)
        return ecl_err_set(e, ECL_EUNSUPPORTED, "parquet column chunks in other files are not supported");
    if (!have_cols || g->num_rows < 0)
        return fmt_err(e, "row group without columns or row count");
    for (size_t i = 0; i < r->ncols; i++) {
        if (g->cols[i].phys != r->leaves[i].phys)
            return fmt_err(e, "column chunk type differs from the schema");
    }
    return 0;
}

static char *dup_bytes(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = 0;
    }
    return s;
}

static int parse_kv(ecl_pq_reader *r, ecl_thr_r *t, ecl_err *e)
{
    int et;
    size_t n = ecl_thr_r_list(t, &et);
    if (et != ECL_THR_STRUCT && n) {
        ecl_thr_r_fail(t);
        return 0;
    }
    r->kv = calloc(2 * n + 2, sizeof *r->kv);
    if (!r->kv)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
    for (size_t i = 0; i < n && !ecl_thr_r_error(t); i++) {
        int16_t last, id;
        int type;
        const uint8_t *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        ecl_thr_r_struct_begin(t, &last);
        while (ecl_thr_r_field(t, &last, &type, &id)) {
            if (id == 1 && type == ECL_THR_BINARY)
                k = ecl_thr_r_binary(t, &kl);
            else if (id == 2 && type == ECL_THR_BINARY)
                v = ecl_thr_r_binary(t, &vl);
            else
                ecl_thr_r_skip(t, type);
        }
        ecl_thr_r_struct_end(t);
        if (!k)
            continue;
        char *ks = dup_bytes(k, kl), *vs = v ? dup_bytes(v, vl) : NULL;
        if (!ks || (v && !vs)) {
            free(ks);
            free(vs);
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
        }
        r->kv[2 * r->nkv] = ks;
        r->kv[2 * r->nkv + 1] = vs;
        r->nkv++;
    }
    return 0;
}

static const char *rep_name(int rep) { return rep == PQ_REPEATED ? "repeated" : "nested"; }

/* Maps a leaf to our type, or explains why we cannot. */
static int map_leaf(ecl_pq_reader *r, size_t i, ecl_err *e)
{
    pq_leaf *l = &r->leaves[i];
    ecl_field *f = &r->schema.fields[i];
    enum conv *cv = &r->conv[i];
    const char *name = f->name;
    bool dec = l->lt == PQ_LT_DECIMAL || l->ct == PQ_CT_DECIMAL;
    int tu = l->lt == PQ_LT_TIMESTAMP ? l->unit
             : l->ct == PQ_CT_TIMESTAMP_MILLIS ? PQ_UNIT_MILLIS
             : l->ct == PQ_CT_TIMESTAMP_MICROS ? PQ_UNIT_MICROS
                                               : 0;
    if (l->lt == PQ_LT_TIME || l->ct == PQ_CT_TIME_MILLIS || l->ct == PQ_CT_TIME_MICROS ||
        l->ct == PQ_CT_INTERVAL || l->lt == PQ_LT_FLOAT16)
        return ecl_err_set(e, ECL_EUNSUPPORTED, "column '%s': time, interval and float16 columns are not supported", name);
    if (dec) {
        if (!l->has_precision || l->precision < 1 || l->scale < 0 || l->scale > l->precision)
            return fmt_err(e, "decimal without a valid precision and scale");
        if (l->precision > 18)
            return ecl_err_set(e, ECL_EUNSUPPORTED,
                               "column '%s': decimal(%d,%d) is wider than 18 digits", name,
                               l->precision, l->scale);
        f->type = ECL_T_DECIMAL;
        f->precision = (uint8_t)l->precision;
        f->scale = (uint8_t)l->scale;
    }
    switch (l->phys) {
    case PQ_BOOLEAN:
        f->type = ECL_T_BOOL;
        *cv = CV_BOOL;
        return 0;
    case PQ_INT32:
        if (dec) {
            *cv = CV_I32_I64;
        } else if (l->lt == PQ_LT_DATE || l->ct == PQ_CT_DATE) {
            f->type = ECL_T_DATE;
            *cv = CV_I32;
        } else if ((l->lt == PQ_LT_INTEGER && !l->is_signed && l->bit_width == 32) ||
                   l->ct == PQ_CT_UINT_32) {
            f->type = ECL_T_INT64;
            *cv = CV_U32_I64;
        } else {
            f->type = ECL_T_INT32;
            *cv = CV_I32;
        }
        return 0;
    case PQ_INT64:
        if ((l->lt == PQ_LT_INTEGER && !l->is_signed) || l->ct == PQ_CT_UINT_64)
            return ecl_err_set(e, ECL_EUNSUPPORTED, "column '%s': unsigned 64-bit integers are not supported", name);
        if (dec) {
            *cv = CV_I64;
        } else if (tu) {
            f->type = ECL_T_TIMESTAMP;
            *cv = tu == PQ_UNIT_MILLIS ? CV_I64_MILLI : tu == PQ_UNIT_NANOS ? CV_I64_NANO : CV_I64;
        } else {
            f->type = ECL_T_INT64;
            *cv = CV_I64;
        }
        return 0;
    case PQ_INT96:
        f->type = ECL_T_TIMESTAMP;
        *cv = CV_INT96;
        return 0;
    case PQ_FLOAT:
        f->type = ECL_T_DOUBLE;
        *cv = CV_FLOAT;
        return 0;
    case PQ_DOUBLE:
        f->type = ECL_T_DOUBLE;
        *cv = CV_DOUBLE;
        return 0;
    case PQ_BYTE_ARRAY:
        if (dec) {
            *cv = CV_DEC_BE;
        } else {
            f->type = ECL_T_STRING;
            *cv = CV_STR;
        }
        return 0;
    case PQ_FIXED_LEN_BYTE_ARRAY:
        if (l->type_length <= 0 || l->type_length > (1 << 20))
            return fmt_err(e, "fixed-length column without a valid length");
        if (dec) {
            *cv = CV_DEC_BE;
        } else if (l->lt == PQ_LT_UUID && l->type_length == 16) {
            f->type = ECL_T_STRING;
            *cv = CV_UUID;
        } else {
            f->type = ECL_T_STRING;
            *cv = CV_STR;
        }
        return 0;
    default:
        return fmt_err(e, "unknown physical type");
    }
}

static int parse_schema(ecl_pq_reader *r, ecl_thr_r *t, ecl_err *e)
{
    int et;
    size_t n = ecl_thr_r_list(t, &et);
    if (n < 2 || et != ECL_THR_STRUCT)
        return n == 1 ? ecl_err_set(e, ECL_EUNSUPPORTED, "parquet file has no columns")
                      : fmt_err(e, "bad schema");
    pq_leaf root;
    parse_schema_element(t, &root);
    if (ecl_thr_r_error(t))
        return fmt_err(e, "bad schema");
    if (!root.has_children || root.num_children < 1)
        return fmt_err(e, "schema root without children");
    r->ncols = n - 1;
    r->leaves = calloc(r->ncols, sizeof *r->leaves);
    r->conv = calloc(r->ncols, sizeof *r->conv);
    r->schema.fields = calloc(r->ncols, sizeof *r->schema.fields);
    if (!r->leaves || !r->conv || !r->schema.fields)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
    for (size_t i = 0; i < r->ncols; i++) {
        pq_leaf *l = &r->leaves[i];
        parse_schema_element(t, l);
        if (ecl_thr_r_error(t))
            return fmt_err(e, "bad schema element");
        char *name = dup_bytes(l->name ? l->name : (const uint8_t *)"", l->name_len);
        if (!name)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
        r->schema.fields[i].name = name;
        r->schema.nfields = i + 1;
        if ((l->has_children && l->num_children > 0) || l->phys < 0 || l->rep == PQ_REPEATED)
            return ecl_err_set(e, ECL_EUNSUPPORTED,
                               "column '%s' is %s: only flat schemas are supported", name,
                               rep_name(l->rep));
        if (l->rep != PQ_REQUIRED && l->rep != PQ_OPTIONAL)
            return fmt_err(e, "bad repetition type");
        r->schema.fields[i].nullable = l->rep == PQ_OPTIONAL;
        int rc = map_leaf(r, i, e);
        if (rc)
            return rc;
    }
    if ((size_t)root.num_children != r->ncols)
        return ecl_err_set(e, ECL_EUNSUPPORTED, "parquet schema is nested: only flat schemas are supported");
    return 0;
}

static int parse_footer(ecl_pq_reader *r, const uint8_t *p, size_t n, ecl_err *e)
{
    ecl_thr_r t;
    ecl_thr_r_init(&t, p, n);
    int16_t last, id;
    int type;
    bool have_schema = false, have_rgs = false;
    r->num_rows = -1;
    ecl_thr_r_struct_begin(&t, &last);
    while (ecl_thr_r_field(&t, &last, &type, &id)) {
        int rc = 0;
        if (id == 2 && type == ECL_THR_LIST && !have_schema) {
            rc = parse_schema(r, &t, e);
            have_schema = true;
        } else if (id == 3) {
            r->num_rows = ecl_thr_r_i64_typed(&t, type);
        } else if (id == 4 && type == ECL_THR_LIST && have_schema && !have_rgs) {
            int et;
            size_t nrg = ecl_thr_r_list(&t, &et);
            if (nrg && et != ECL_THR_STRUCT)
                return fmt_err(e, "bad row group list");
            r->rgs = calloc(nrg ? nrg : 1, sizeof *r->rgs);
            if (!r->rgs)
                return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
            for (size_t i = 0; i < nrg && !rc; i++) {
                r->nrg = i + 1;
                rc = parse_row_group(r, &t, &r->rgs[i], e);
            }
            have_rgs = true;
        } else if (id == 5 && type == ECL_THR_LIST && !r->kv) {
            rc = parse_kv(r, &t, e);
        } else if (id == 6 && type == ECL_THR_BINARY && !r->created_by) {
            size_t cl;
            const uint8_t *cb = ecl_thr_r_binary(&t, &cl);
            if (!(r->created_by = dup_bytes(cb, cl)))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading the parquet footer");
        } else if (id == 8 || id == 9) {
            return ecl_err_set(e, ECL_EUNSUPPORTED, "encrypted parquet files are not supported");
        } else {
            ecl_thr_r_skip(&t, type);
        }
        if (rc)
            return rc;
    }
    ecl_thr_r_struct_end(&t);
    if (ecl_thr_r_error(&t))
        return fmt_err(e, "truncated or malformed metadata");
    if (!have_schema)
        return fmt_err(e, "no schema");
    if (r->num_rows < 0)
        return fmt_err(e, "no row count");
    int64_t sum = 0;
    for (size_t i = 0; i < r->nrg; i++) {
        if (r->rgs[i].num_rows > INT64_MAX - sum)
            return fmt_err(e, "row counts overflow");
        sum += r->rgs[i].num_rows;
    }
    if (sum != r->num_rows)
        return fmt_err(e, "row groups do not add up to the file's row count");
    return 0;
}

static ecl_pq_reader *reader_new(void)
{
    ecl_pq_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    ecl_schema_init(&r->schema);
    ecl_buf_init(&r->page, 0);
    ecl_buf_init(&r->stage.fixed, 0);
    ecl_buf_init(&r->stage.text, 0);
    ecl_buf_init(&r->dict.fixed, 0);
    ecl_buf_init(&r->dict.text, 0);
    r->max_bytes = DEFAULT_MAX_BYTES;
    r->cc = ecl_codec_ctx_new();
    if (!r->cc) {
        free(r);
        return NULL;
    }
    return r;
}

static int open_common(ecl_pq_reader *r, ecl_err *e)
{
    const uint8_t *d = r->data;
    size_t n = r->n;
    if (n < 12 || memcmp(d + n - 4, PQ_MAGIC, 4) != 0) {
        if (n >= 4 && memcmp(d + n - 4, "PARE", 4) == 0)
            return ecl_err_set(e, ECL_EUNSUPPORTED, "encrypted parquet files are not supported");
        return ecl_err_set(e, ECL_EFORMAT, "not a parquet file (no PAR1 trailer)");
    }
    if (memcmp(d, PQ_MAGIC, 4) != 0)
        return ecl_err_set(e, ECL_EFORMAT, "not a parquet file (no PAR1 header)");
    uint32_t flen;
    memcpy(&flen, d + n - 8, 4);
    if (flen > n - 12)
        return ecl_err_set(e, ECL_EFORMAT, "corrupt parquet footer: length %u exceeds the file", flen);
    r->meta_end = n - 8 - flen;
    return parse_footer(r, d + r->meta_end, flen, e);
}

int ecl_pq_reader_open_mem(ecl_pq_reader **rp, const uint8_t *data, size_t n, ecl_err *e)
{
    *rp = NULL;
    ecl_pq_reader *r = reader_new();
    if (!r)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a parquet reader");
    r->data = data;
    r->n = n;
    int rc = open_common(r, e);
    if (rc) {
        ecl_pq_reader_free(r);
        return rc;
    }
    *rp = r;
    return 0;
}

int ecl_pq_reader_open(ecl_pq_reader **rp, const char *path, ecl_err *e)
{
    *rp = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot open '%s'", path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int err = errno;
        close(fd);
        return ecl_err_errno(e, err, "cannot stat '%s'", path);
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size < 12) {
        close(fd);
        return ecl_err_set(e, ECL_EFORMAT, "'%s' is not a parquet file", path);
    }
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED)
        return ecl_err_errno(e, err, "cannot map '%s'", path);
    ecl_pq_reader *r = reader_new();
    if (!r) {
        munmap(map, (size_t)sb.st_size);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a parquet reader");
    }
    r->map = map;
    r->maplen = (size_t)sb.st_size;
    r->data = map;
    r->n = (size_t)sb.st_size;
    int rc = open_common(r, e);
    if (rc) {
        ecl_err_prefix(e, "'%s'", path);
        ecl_pq_reader_free(r);
        return rc;
    }
    *rp = r;
    return 0;
}

static void stage_release(pq_stage *s)
{
    ecl_buf_release(&s->fixed);
    ecl_buf_release(&s->text);
    free(s->sv);
}

void ecl_pq_reader_free(ecl_pq_reader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nrg; i++)
        free(r->rgs[i].cols);
    free(r->rgs);
    for (size_t i = 0; i < 2 * r->nkv; i++)
        free(r->kv[i]);
    free(r->kv);
    free(r->created_by);
    free(r->leaves);
    free(r->conv);
    ecl_schema_release(&r->schema);
    ecl_codec_ctx_free(r->cc);
    ecl_buf_release(&r->page);
    free(r->levels);
    free(r->idx);
    free(r->dl);
    stage_release(&r->stage);
    stage_release(&r->dict);
    if (r->map)
        munmap(r->map, r->maplen);
    free(r);
}

const ecl_schema *ecl_pq_reader_schema(const ecl_pq_reader *r) { return &r->schema; }
int64_t ecl_pq_reader_num_rows(const ecl_pq_reader *r) { return r->num_rows; }
size_t ecl_pq_reader_num_row_groups(const ecl_pq_reader *r) { return r->nrg; }
int64_t ecl_pq_reader_row_group_rows(const ecl_pq_reader *r, size_t rg)
{
    return rg < r->nrg ? r->rgs[rg].num_rows : -1;
}
const char *ecl_pq_reader_created_by(const ecl_pq_reader *r) { return r->created_by; }
size_t ecl_pq_reader_num_kv(const ecl_pq_reader *r) { return r->nkv; }

int ecl_pq_reader_kv_at(const ecl_pq_reader *r, size_t i, const char **key, const char **value)
{
    if (i >= r->nkv)
        return ECL_EINVAL;
    *key = r->kv[2 * i];
    *value = r->kv[2 * i + 1];
    return 0;
}

const char *ecl_pq_reader_kv(const ecl_pq_reader *r, const char *key)
{
    for (size_t i = 0; i < r->nkv; i++)
        if (strcmp(r->kv[2 * i], key) == 0)
            return r->kv[2 * i + 1];
    return NULL;
}

void ecl_pq_reader_set_max_bytes(ecl_pq_reader *r, size_t max) { r->max_bytes = max ? max : DEFAULT_MAX_BYTES; }

/* ---------------------------------------------------------------- statistics */

static int64_t rd_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

/* Big-endian two's complement of n bytes -> int64; false when it does not fit. */
static bool be_decimal(const uint8_t *p, size_t n, int64_t *out)
{
    if (n == 0) {
        *out = 0;
        return true;
    }
    uint8_t sign = (p[0] & 0x80) ? 0xFF : 0x00;
    while (n > 8) {
        if (p[0] != sign)
            return false;
        p++;
        n--;
    }
    if (n == 8 && ((p[0] ^ sign) & 0x80))
        return false;
    uint64_t v = sign ? UINT64_MAX : 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    *out = (int64_t)v;
    return true;
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t sat_mul(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
    return r;
}

static int64_t int96_micros(const uint8_t *p)
{
    int64_t nanos = rd_le(p, 8);
    int32_t jd = (int32_t)rd_le(p + 8, 4);
    int64_t days = (int64_t)jd - 2440588;
    return sat_mul(days, 86400000000LL) + floordiv(nanos, 1000);
}

/* One statistics value in our physical form; false if it cannot be decoded. */
static bool stat_value(enum conv cv, const uint8_t *p, size_t n, ecl_pq_stats *st, bool max)
{
    int64_t *iv = max ? &st->max.i : &st->min.i;
    double *dv = max ? &st->max.d : &st->min.d;
    switch (cv) {
    case CV_BOOL:
        if (n < 1)
            return false;
        (max ? &st->max : &st->min)->b = p[0] != 0;
        return true;
    case CV_I32:
    case CV_I32_I64:
        if (n != 4)
            return false;
        *iv = (int32_t)rd_le(p, 4);
        return true;
    case CV_U32_I64:
        if (n != 4)
            return false;
        *iv = (uint32_t)rd_le(p, 4);
        return true;
    case CV_I64:
    case CV_I64_MILLI:
    case CV_I64_NANO:
        if (n != 8)
            return false;
        *iv = rd_le(p, 8);
        if (cv == CV_I64_MILLI)
            *iv = sat_mul(*iv, 1000);
        else if (cv == CV_I64_NANO)
            *iv = floordiv(*iv, 1000);
        return true;
    case CV_FLOAT: {
        if (n != 4)
            return false;
        float f;
        memcpy(&f, p, 4);
        *dv = f;
        return true;
    }
    case CV_DOUBLE:
        if (n != 8)
            return false;
        memcpy(dv, p, 8);
        return true;
    case CV_STR:
        if (max) {
            st->max_str = p;
            st->max_len = n;
        } else {
            st->min_str = p;
            st->min_len = n;
        }
        return true;
    case CV_DEC_BE:
        return be_decimal(p, n, iv);
    default:
        return false; /* INT96 and UUID order is not what readers expect: ignore */
    }
}

int ecl_pq_reader_physical_type(const ecl_pq_reader *r, size_t col)
{
    return col < r->ncols ? r->leaves[col].phys : -1;
}

int ecl_pq_reader_raw_stats(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_raw_stats *st)
{
    memset(st, 0, sizeof *st);
    if (rg >= r->nrg || col >= r->ncols)
        return ECL_EINVAL;
    *st = r->rgs[rg].cols[col].rs;
    return 0;
}

int ecl_pq_reader_stats(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_stats *st)
{
    memset(st, 0, sizeof *st);
    if (rg >= r->nrg || col >= r->ncols)
        return ECL_EINVAL;
    const pq_chunk *c = &r->rgs[rg].cols[col];
    enum conv cv = r->conv[col];
    st->has_null_count = c->rs.has_null_count;
    st->null_count = c->rs.null_count;
    const uint8_t *mn = c->rs.min, *mx = c->rs.max;
    size_t mnl = c->rs.min_len, mxl = c->rs.max_len;
    bool signed_order = cv != CV_STR && cv != CV_DEC_BE && cv != CV_U32_I64 && cv != CV_UUID;
    if ((!mn || !mx) && signed_order) {
        /* the deprecated fields were written with signed comparison: fine for numbers only */
        mn = c->rs.min_dep;
        mx = c->rs.max_dep;
        mnl = c->rs.min_dep_len;
        mxl = c->rs.max_dep_len;
    }
    if (mn && mx) {
        ecl_pq_stats tmp = *st;
        if (stat_value(cv, mn, mnl, &tmp, false) && stat_value(cv, mx, mxl, &tmp, true)) {
            *st = tmp;
            st->has_min_max = true;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- pages */

typedef struct pq_page {
    ecl_pq_raw_stats rs;
    int type;
    int32_t unc, comp;
    int32_t nvalues;
    int enc;
    int def_enc;
    int32_t nnulls, nrows;
    int32_t def_len, rep_len;
    bool compressed;
} pq_page;

static void parse_data_header(ecl_thr_r *t, pq_page *h, bool v2)
{
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(t, &last);
    while (ecl_thr_r_field(t, &last, &type, &id)) {
        if (!v2) {
            switch (id) {
            case 1: h->nvalues = ecl_thr_r_i32_typed(t, type); break;
            case 2: h->enc = ecl_thr_r_i32_typed(t, type); break;
            case 3: h->def_enc = ecl_thr_r_i32_typed(t, type); break;
            case 5:
                if (type == ECL_THR_STRUCT)
                    parse_stats(t, &h->rs);
                else
                    ecl_thr_r_skip(t, type);
                break;
            default: ecl_thr_r_skip(t, type);
            }
        } else {
            switch (id) {
            case 1: h->nvalues = ecl_thr_r_i32_typed(t, type); break;
            case 2: h->nnulls = ecl_thr_r_i32_typed(t, type); break;
            case 3: h->nrows = ecl_thr_r_i32_typed(t, type); break;
            case 4: h->enc = ecl_thr_r_i32_typed(t, type); break;
            case 5: h->def_len = ecl_thr_r_i32_typed(t, type); break;
            case 6: h->rep_len = ecl_thr_r_i32_typed(t, type); break;
            case 7: h->compressed = type == ECL_THR_TRUE; break;
            case 8:
                if (type == ECL_THR_STRUCT)
                    parse_stats(t, &h->rs);
                else
                    ecl_thr_r_skip(t, type);
                break;
            default: ecl_thr_r_skip(t, type);
            }
        }
    }
    ecl_thr_r_struct_end(t);
}

static bool parse_page_header(const uint8_t *p, size_t n, pq_page *h, size_t *used)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->unc = h->comp = -1;
    h->nvalues = -1;
    h->def_enc = PQ_ENC_RLE;
    h->compressed = true;
    ecl_thr_r t;
    ecl_thr_r_init(&t, p, n);
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(&t, &last);
    while (ecl_thr_r_field(&t, &last, &type, &id)) {
        switch (id) {
        case 1: h->type = ecl_thr_r_i32_typed(&t, type); break;
        case 2: h->unc = ecl_thr_r_i32_typed(&t, type); break;
        case 3: h->comp = ecl_thr_r_i32_typed(&t, type); break;
        case 5:
        case 8:
            if (type == ECL_THR_STRUCT)
                parse_data_header(&t, h, id == 8);
            else
                ecl_thr_r_skip(&t, type);
            break;
        case 7:
            if (type == ECL_THR_STRUCT) {
                parse_data_header(&t, h, false); /* num_values and encoding share ids 1 and 2 */
            } else {
                ecl_thr_r_skip(&t, type);
            }
            break;
        default: ecl_thr_r_skip(&t, type);
        }
    }
    ecl_thr_r_struct_end(&t);
    *used = ecl_thr_r_used(&t, p);
    return !ecl_thr_r_error(&t) && h->unc >= 0 && h->comp >= 0 && h->type >= 0;
}

static int page_err(ecl_err *e, const char *what)
{
    return ecl_err_set(e, ECL_EFORMAT, "corrupt parquet page: %s", what);
}

/* Width in bytes of one staged value of a conversion (0 = string slices). */
static size_t stage_width(enum conv cv)
{
    switch (cv) {
    case CV_BOOL: return 1;
    case CV_I32: return 4;
    case CV_STR:
    case CV_UUID: return 0;
    default: return 8;
    }
}

static int stage_reserve(pq_stage *s, enum conv cv, size_t n)
{
    s->n = 0;
    ecl_buf_clear(&s->fixed);
    ecl_buf_clear(&s->text);
    size_t w = stage_width(cv);
    if (w || cv == CV_DEC_BE)
        if (ecl_buf_grow(&s->fixed, (w ? w : 8) * n + 8))
            return ECL_ENOMEM;
    if (cv == CV_STR || cv == CV_UUID || cv == CV_DEC_BE) {
        if (n > s->svcap) {
            pq_sv *v = realloc(s->sv, n * sizeof *v);
            if (!v)
                return ECL_ENOMEM;
            s->sv = v;
            s->svcap = n;
        }
    }
    return 0;
}

/* Physical width of a fixed-size value of the leaf (0 for BYTE_ARRAY). */
static size_t phys_width(const pq_leaf *l)
{
    switch (l->phys) {
    case PQ_INT32:
    case PQ_FLOAT: return 4;
    case PQ_INT64:
    case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)l->type_length;
    default: return 0;
    }
}

/* Converts n fixed-width physical values at src into the stage. */
static void convert_fixed(enum conv cv, const uint8_t *src, size_t n, pq_stage *s)
{
    uint8_t *d = s->fixed.data;
    switch (cv) {
    case CV_I32:
        memcpy(d, src, 4 * n);
        break;
    case CV_I32_I64:
        for (size_t i = 0; i < n; i++) {
            int64_t v = (int32_t)rd_le(src + 4 * i, 4);
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    case CV_U32_I64:
        for (size_t i = 0; i < n; i++) {
            int64_t v = (uint32_t)rd_le(src + 4 * i, 4);
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    case CV_I64:
    case CV_DOUBLE:
        memcpy(d, src, 8 * n);
        break;
    case CV_I64_MILLI:
    case CV_I64_NANO:
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            memcpy(&v, src + 8 * i, 8);
            v = cv == CV_I64_MILLI ? sat_mul(v, 1000) : floordiv(v, 1000);
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    case CV_INT96:
        for (size_t i = 0; i < n; i++) {
            int64_t v = int96_micros(src + 12 * i);
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    case CV_FLOAT:
        for (size_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, src + 4 * i, 4);
            double v = f;
            memcpy(d + 8 * i, &v, 8);
        }
        break;
    default:
        break;
    }
    s->n = n;
}

/* Turns string slices into our form: decimals to int64, UUIDs to text; plain strings stay. */
static int finish_binary(enum conv cv, pq_stage *s, size_t n, ecl_err *e)
{
    s->n = n;
    if (cv == CV_DEC_BE) {
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            if (!be_decimal(s->sv[i].p, s->sv[i].n, &v))
                return page_err(e, "decimal value wider than 18 digits");
            memcpy(s->fixed.data + 8 * i, &v, 8);
        }
    } else if (cv == CV_UUID) {
        static const char hex[] = "0123456789abcdef";
        ecl_buf_clear(&s->text);
        if (ecl_buf_grow(&s->text, 36 * n + 1))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
        char *o = (char *)s->text.data;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *u = s->sv[i].p;
            for (int k = 0; k < 16; k++) {
                if (k == 4 || k == 6 || k == 8 || k == 10)
                    *o++ = '-';
                *o++ = hex[u[k] >> 4];
                *o++ = hex[u[k] & 15];
            }
        }
        ecl_buf_setlen(&s->text, 36 * n);
        for (size_t i = 0; i < n; i++)
            s->sv[i] = (pq_sv){s->text.data + 36 * i, 36};
    }
    return 0;
}

static int decode_plain(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t nn,
                        pq_stage *s, ecl_err *e)
{
    const pq_leaf *l = &r->leaves[ci];
    enum conv cv = r->conv[ci];
    if (stage_reserve(s, cv, nn))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    if (l->phys == PQ_BOOLEAN) {
        if ((nn + 7) / 8 > len)
            return page_err(e, "plain booleans run past the page");
        for (size_t i = 0; i < nn; i++)
            s->fixed.data[i] = (p[i >> 3] >> (i & 7)) & 1;
        s->n = nn;
        return 0;
    }
    if (l->phys == PQ_BYTE_ARRAY) {
        size_t off = 0;
        for (size_t i = 0; i < nn; i++) {
            if (len - off < 4)
                return page_err(e, "plain byte array runs past the page");
            uint32_t bl;
            memcpy(&bl, p + off, 4);
            off += 4;
            if (bl > len - off)
                return page_err(e, "plain byte array runs past the page");
            s->sv[i] = (pq_sv){p + off, bl};
            off += bl;
        }
        return finish_binary(cv, s, nn, e);
    }
    size_t w = phys_width(l);
    if (w == 0 || nn > len / w)
        return page_err(e, "plain values run past the page");
    if (l->phys == PQ_FIXED_LEN_BYTE_ARRAY) {
        for (size_t i = 0; i < nn; i++)
            s->sv[i] = (pq_sv){p + i * w, w};
        return finish_binary(cv, s, nn, e);
    }
    convert_fixed(cv, p, nn, s);
    return 0;
}

/* DELTA_BINARY_PACKED: decodes exactly want values (the stream must hold that many). */
static int delta_decode(const uint8_t *p, size_t n, int64_t *out, size_t want, size_t *used, ecl_err *e)
{
    ecl_thr_r t;
    ecl_thr_r_init(&t, p, n);
    uint64_t block = ecl_thr_r_varint(&t);
    uint64_t minis = ecl_thr_r_varint(&t);
    uint64_t total = ecl_thr_r_varint(&t);
    int64_t first = ecl_thr_r_i64(&t);
    if (ecl_thr_r_error(&t) || block == 0 || block % 128 || block > (1 << 20) || minis == 0 ||
        block % minis || (block / minis) % 32 || total != want)
        return page_err(e, "bad delta header");
    size_t per = (size_t)(block / minis);
    uint64_t last = (uint64_t)first;
    size_t count = 0;
    if (want)
        out[count++] = first;
    while (count < want) {
        int64_t min_delta = ecl_thr_r_i64(&t);
        if (ecl_thr_r_error(&t) || (uint64_t)(t.end - t.p) < minis)
            return page_err(e, "truncated delta block");
        const uint8_t *widths = t.p;
        t.p += minis;
        for (size_t m = 0; m < minis && count < want; m++) {
            int bw = widths[m];
            if (bw > 64)
                return page_err(e, "delta bit width over 64");
            size_t bytes = per * (size_t)bw / 8;
            size_t avail = (size_t)(t.end - t.p);
            size_t have = bytes < avail ? bytes : avail;
            for (size_t k = 0; k < per && count < want; k++) {
                uint64_t d = ecl_bitunpack_one(t.p, have, k, bw);
                last += (uint64_t)min_delta + d;
                out[count++] = (int64_t)last;
            }
            t.p += have;
        }
    }
    *used = ecl_thr_r_used(&t, p);
    return 0;
}

static int delta_scratch(ecl_pq_reader *r, size_t n, ecl_err *e)
{
    if (n <= r->dlcap)
        return 0;
    int64_t *d = realloc(r->dl, n * sizeof *d);
    if (!d)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    r->dl = d;
    r->dlcap = n;
    return 0;
}

static int decode_delta_int(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t nn,
                            pq_stage *s, ecl_err *e)
{
    const pq_leaf *l = &r->leaves[ci];
    enum conv cv = r->conv[ci];
    if (l->phys != PQ_INT32 && l->phys != PQ_INT64)
        return page_err(e, "delta encoding on a non-integer column");
    size_t used;
    int rc = delta_scratch(r, nn, e);
    if (rc || (rc = delta_decode(p, len, r->dl, nn, &used, e)))
        return rc;
    if (stage_reserve(s, cv, nn))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    /* lay the values out in their physical width, then convert as plain values are */
    uint8_t *tmp = (uint8_t *)r->dl;
    if (l->phys == PQ_INT32)
        for (size_t i = 0; i < nn; i++) {
            uint32_t v = (uint32_t)r->dl[i];
            memcpy(tmp + 4 * i, &v, 4);
        }
    convert_fixed(cv, tmp, nn, s);
    return 0;
}

static int decode_delta_bytes(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t nn,
                              bool prefixed, pq_stage *s, ecl_err *e)
{
    const pq_leaf *l = &r->leaves[ci];
    enum conv cv = r->conv[ci];
    if (l->phys != PQ_BYTE_ARRAY && l->phys != PQ_FIXED_LEN_BYTE_ARRAY)
        return page_err(e, "byte-array delta encoding on another type");
    int rc = delta_scratch(r, 2 * nn + 1, e);
    if (rc)
        return rc;
    if (stage_reserve(s, cv, nn))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    int64_t *pre = r->dl, *suf = r->dl + nn;
    size_t used = 0, off = 0;
    if (prefixed) {
        if ((rc = delta_decode(p, len, pre, nn, &used, e)))
            return rc;
        off = used;
    }
    if ((rc = delta_decode(p + off, len - off, suf, nn, &used, e)))
        return rc;
    off += used;
    const uint8_t *data = p + off;
    size_t avail = len - off;
    if (!prefixed) {
        size_t o = 0;
        for (size_t i = 0; i < nn; i++) {
            if (suf[i] < 0 || (uint64_t)suf[i] > avail - o)
                return page_err(e, "byte-array lengths run past the page");
            s->sv[i] = (pq_sv){data + o, (size_t)suf[i]};
            o += (size_t)suf[i];
        }
        return finish_binary(cv, s, nn, e);
    }
    /* each value is a prefix of the previous one plus its suffix: size them, then build */
    uint64_t total = 0, prev = 0, sufsum = 0;
    for (size_t i = 0; i < nn; i++) {
        if (pre[i] < 0 || suf[i] < 0 || (uint64_t)pre[i] > prev || (uint64_t)suf[i] > avail - sufsum)
            return page_err(e, "bad byte-array prefix or suffix length");
        sufsum += (uint64_t)suf[i];
        prev = (uint64_t)pre[i] + (uint64_t)suf[i];
        total += prev;
        if (total > r->max_bytes)
            return ecl_err_set(e, ECL_ENOMEM, "page expands past the reader's memory limit");
    }
    if (ecl_buf_grow(&s->text, (size_t)total + 1))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    uint8_t *o = s->text.data;
    const uint8_t *prevp = o;
    size_t so = 0;
    for (size_t i = 0; i < nn; i++) {
        size_t pl = (size_t)pre[i], sl = (size_t)suf[i];
        memmove(o, prevp, pl);
        memcpy(o + pl, data + so, sl);
        so += sl;
        s->sv[i] = (pq_sv){o, pl + sl};
        prevp = o;
        o += pl + sl;
    }
    ecl_buf_setlen(&s->text, (size_t)total);
    return finish_binary(cv, s, nn, e);
}

static int decode_bss(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t nn,
                      pq_stage *s, ecl_err *e)
{
    size_t w = phys_width(&r->leaves[ci]);
    if (w == 0 || w == 12 || nn > len / w)
        return page_err(e, "bad byte-stream-split page");
    /* gather the streams into the page order, in the stage's text buffer */
    ecl_buf_clear(&s->text);
    if (ecl_buf_grow(&s->text, nn * w))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    uint8_t *d = s->text.data;
    for (size_t k = 0; k < w; k++)
        for (size_t i = 0; i < nn; i++)
            d[i * w + k] = p[k * nn + i];
    ecl_buf tmp = s->text; /* plain decoding clears text: keep ours apart */
    ecl_buf_init(&s->text, 0);
    int rc = decode_plain(r, ci, tmp.data, nn * w, nn, s, e);
    if (!rc && r->conv[ci] == CV_STR) {
        /* slices point into tmp: keep it as the text buffer */
        ecl_buf_release(&s->text);
        s->text = tmp;
    } else {
        ecl_buf_release(&tmp);
    }
    return rc;
}

static int decode_rle_bool(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t nn,
                           pq_stage *s, ecl_err *e)
{
    if (r->leaves[ci].phys != PQ_BOOLEAN || len < 4)
        return page_err(e, "bad RLE boolean page");
    uint32_t bl;
    memcpy(&bl, p, 4);
    if (bl > len - 4)
        return page_err(e, "RLE booleans run past the page");
    if (stage_reserve(s, CV_BOOL, nn))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    ecl_rle_dec d;
    ecl_rle_dec_init(&d, p + 4, bl, 1);
    if (ecl_rle_dec_u8(&d, s->fixed.data, nn) != nn)
        return page_err(e, "RLE booleans end early");
    s->n = nn;
    return 0;
}

static int decode_dict_indices(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t nn,
                               pq_stage *s, ecl_err *e)
{
    enum conv cv = r->conv[ci];
    if (!r->have_dict)
        return page_err(e, "dictionary-encoded page without a dictionary");
    if (nn && len < 1)
        return page_err(e, "missing dictionary index width");
    int bw = nn ? p[0] : 0;
    if (bw > 32)
        return page_err(e, "dictionary index width over 32");
    if (nn > r->idxcap) {
        uint32_t *x = realloc(r->idx, nn * sizeof *x);
        if (!x)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
        r->idx = x;
        r->idxcap = nn;
    }
    ecl_rle_dec d;
    ecl_rle_dec_init(&d, p + 1, len ? len - 1 : 0, bw);
    if (ecl_rle_dec_u32(&d, r->idx, nn) != nn)
        return page_err(e, "dictionary indices end early");
    if (stage_reserve(s, cv, nn))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    size_t dn = r->dict.n;
    size_t w = stage_width(cv);
    for (size_t i = 0; i < nn; i++)
        if (r->idx[i] >= dn)
            return page_err(e, "dictionary index out of range");
    if (w) {
        const uint8_t *src = r->dict.fixed.data;
        uint8_t *dst = s->fixed.data;
        if (w == 8)
            for (size_t i = 0; i < nn; i++)
                memcpy(dst + 8 * i, src + 8 * (size_t)r->idx[i], 8);
        else if (w == 4)
            for (size_t i = 0; i < nn; i++)
                memcpy(dst + 4 * i, src + 4 * (size_t)r->idx[i], 4);
        else
            for (size_t i = 0; i < nn; i++)
                dst[i] = src[r->idx[i]];
    } else {
        for (size_t i = 0; i < nn; i++)
            s->sv[i] = r->dict.sv[r->idx[i]];
    }
    s->n = nn;
    return 0;
}

static int decode_values(ecl_pq_reader *r, size_t ci, int enc, const uint8_t *p, size_t len,
                         size_t nn, ecl_err *e)
{
    pq_stage *s = &r->stage;
    switch (enc) {
    case PQ_ENC_PLAIN: return decode_plain(r, ci, p, len, nn, s, e);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY: return decode_dict_indices(r, ci, p, len, nn, s, e);
    case PQ_ENC_DELTA_BINARY_PACKED: return decode_delta_int(r, ci, p, len, nn, s, e);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: return decode_delta_bytes(r, ci, p, len, nn, false, s, e);
    case PQ_ENC_DELTA_BYTE_ARRAY: return decode_delta_bytes(r, ci, p, len, nn, true, s, e);
    case PQ_ENC_BYTE_STREAM_SPLIT: return decode_bss(r, ci, p, len, nn, s, e);
    case PQ_ENC_RLE: return decode_rle_bool(r, ci, p, len, nn, s, e);
    default:
        return ecl_err_set(e, ECL_EUNSUPPORTED, "column '%s': unsupported encoding %d",
                           r->schema.fields[ci].name, enc);
    }
}

/* The dictionary page: plain values kept (with their bytes) until the chunk ends. */
static int load_dictionary(ecl_pq_reader *r, size_t ci, const uint8_t *p, size_t len, size_t n,
                           ecl_err *e)
{
    if (n > len + 1 && r->leaves[ci].phys != PQ_BOOLEAN)
        return page_err(e, "dictionary larger than its page");
    int rc = decode_plain(r, ci, p, len, n, &r->dict, e);
    if (rc)
        return rc;
    enum conv cv = r->conv[ci];
    if (cv == CV_STR) {
        /* the slices point into the page buffer, which the next page reuses: copy */
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
            total += r->dict.sv[i].n;
        ecl_buf_clear(&r->dict.text);
        if (ecl_buf_grow(&r->dict.text, total + 1))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading a dictionary");
        uint8_t *o = r->dict.text.data;
        for (size_t i = 0; i < n; i++) {
            memcpy(o, r->dict.sv[i].p, r->dict.sv[i].n);
            r->dict.sv[i].p = o;
            o += r->dict.sv[i].n;
        }
        ecl_buf_setlen(&r->dict.text, total);
    }
    r->dict.n = n;
    r->have_dict = true;
    return 0;
}

/* Appends rows of staged values to column c, placing nulls where levels are 0. */
static int scatter(ecl_pq_reader *r, ecl_column *c, const uint8_t *lev, size_t rows, ecl_err *e)
{
    pq_stage *s = &r->stage;
    if (ecl_col_reserve(c, c->len + rows))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading a row group");
    if (lev && !c->nulls) {
        c->nulls = calloc(c->cap ? c->cap : 1, 1);
        if (!c->nulls)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading a row group");
    }
    size_t w = ecl_type_width(c->type);
    if (w) {
        uint8_t *dst = (uint8_t *)c->values + c->len * w;
        const uint8_t *src = s->fixed.data;
        if (!lev) {
            memcpy(dst, src, rows * w);
        } else {
            size_t k = 0;
            for (size_t i = 0; i < rows; i++) {
                if (lev[i]) {
                    memcpy(dst + i * w, src + k * w, w);
                    k++;
                } else {
                    memset(dst + i * w, 0, w);
                    c->nulls[c->len + i] = 1;
                    c->nnull++;
                }
            }
        }
    } else {
        size_t total = 0;
        for (size_t i = 0; i < s->n; i++)
            total += s->sv[i].n;
        if (c->bytes.len + total > r->max_bytes)
            return ecl_err_set(e, ECL_ENOMEM, "row group is larger than the reader's memory limit");
        if (ecl_buf_grow(&c->bytes, total))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading a row group");
        size_t k = 0;
        for (size_t i = 0; i < rows; i++) {
            if (!lev || lev[i]) {
                memcpy(c->bytes.data + c->bytes.len, s->sv[k].p, s->sv[k].n);
                ecl_buf_setlen(&c->bytes, c->bytes.len + s->sv[k].n);
                k++;
            } else {
                c->nulls[c->len + i] = 1;
                c->nnull++;
            }
            c->offsets[c->len + i + 1] = (int64_t)c->bytes.len;
        }
    }
    c->len += rows;
    return 0;
}

static int levels_scratch(ecl_pq_reader *r, size_t rows, ecl_err *e)
{
    if (rows <= r->levcap)
        return 0;
    uint8_t *l = realloc(r->levels, rows);
    if (!l)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decoding a page");
    r->levels = l;
    r->levcap = rows;
    return 0;
}

/* Decodes rows definition levels (bit width 1) and counts the defined ones. */
static int decode_levels(ecl_pq_reader *r, const uint8_t *p, size_t len, size_t rows, size_t *nn,
                         ecl_err *e)
{
    int rc = levels_scratch(r, rows, e);
    if (rc)
        return rc;
    ecl_rle_dec d;
    ecl_rle_dec_init(&d, p, len, 1);
    if (ecl_rle_dec_u8(&d, r->levels, rows) != rows)
        return page_err(e, "definition levels end early");
    size_t k = 0;
    for (size_t i = 0; i < rows; i++)
        k += r->levels[i];
    *nn = k;
    return 0;
}

static int read_page(ecl_pq_reader *r, size_t ci, const pq_chunk *ch, const pq_page *h,
                     const uint8_t *body, ecl_column *col, ecl_err *e)
{
    const pq_leaf *l = &r->leaves[ci];
    bool opt = l->rep == PQ_OPTIONAL;
    if ((size_t)h->unc > r->max_bytes)
        return ecl_err_set(e, ECL_ENOMEM, "page of %d bytes exceeds the reader's memory limit", h->unc);
    if (h->type == PQ_PAGE_DICTIONARY) {
        if (r->have_dict)
            return page_err(e, "second dictionary page in a column chunk");
        if (h->nvalues < 0)
            return page_err(e, "dictionary page without a value count");
        ecl_buf_clear(&r->page);
        int rc = ecl_decompress(r->cc, ch->codec, body, (size_t)h->comp, (size_t)h->unc, &r->page, e);
        if (rc)
            return rc;
        return load_dictionary(r, ci, r->page.data, r->page.len, (size_t)h->nvalues, e);
    }
    size_t rows = (size_t)h->nvalues;
    const uint8_t *vals;
    size_t vlen, nn = rows;
    if (h->type == PQ_PAGE_DATA) {
        ecl_buf_clear(&r->page);
        int rc = ecl_decompress(r->cc, ch->codec, body, (size_t)h->comp, (size_t)h->unc, &r->page, e);
        if (rc)
            return rc;
        vals = r->page.data;
        vlen = r->page.len;
        if (opt) {
            if (h->def_enc != PQ_ENC_RLE)
                return ecl_err_set(e, ECL_EUNSUPPORTED, "column '%s': bit-packed definition levels are not supported", col ? r->schema.fields[ci].name : "");
            if (vlen < 4)
                return page_err(e, "missing definition levels");
            uint32_t dl;
            memcpy(&dl, vals, 4);
            if (dl > vlen - 4)
                return page_err(e, "definition levels run past the page");
            if ((rc = decode_levels(r, vals + 4, dl, rows, &nn, e)))
                return rc;
            vals += 4 + dl;
            vlen -= 4 + (size_t)dl;
        }
    } else {
        if (h->rep_len < 0 || h->def_len < 0 || (int64_t)h->rep_len + h->def_len > h->comp ||
            (int64_t)h->rep_len + h->def_len > h->unc)
            return page_err(e, "bad level lengths in a v2 page");
        if (h->nrows != h->nvalues)
            return page_err(e, "v2 page rows differ from values in a flat column");
        size_t lv = (size_t)h->rep_len + (size_t)h->def_len;
        if (opt) {
            int rc = decode_levels(r, body + h->rep_len, (size_t)h->def_len, rows, &nn, e);
            if (rc)
                return rc;
        }
        ecl_buf_clear(&r->page);
        int rc;
        if (h->compressed)
            rc = ecl_decompress(r->cc, ch->codec, body + lv, (size_t)h->comp - lv, (size_t)h->unc - lv,
                                &r->page, e);
        else
            rc = ecl_decompress(r->cc, ECL_CODEC_NONE, body + lv, (size_t)h->comp - lv,
                                (size_t)h->unc - lv, &r->page, e);
        if (rc)
            return rc;
        vals = r->page.data;
        vlen = r->page.len;
    }
    int rc = decode_values(r, ci, h->enc, vals, vlen, nn, e);
    if (rc)
        return rc;
    return scatter(r, col, opt ? r->levels : NULL, rows, e);
}

static int read_chunk(ecl_pq_reader *r, size_t rgi, size_t ci, ecl_column *col, ecl_err *e)
{
    const pq_rgroup *g = &r->rgs[rgi];
    const pq_chunk *ch = &g->cols[ci];
    int64_t start = ch->data_off;
    if (ch->dict_off > 0 && ch->dict_off < start)
        start = ch->dict_off;
    if (start < 4 || (uint64_t)start >= r->meta_end)
        return ecl_err_set(e, ECL_EFORMAT, "corrupt parquet file: column chunk offset %lld outside the file",
                           (long long)start);
    uint64_t end = r->meta_end;
    if (ch->comp > 0 && (uint64_t)ch->comp < end - (uint64_t)start)
        end = (uint64_t)start + (uint64_t)ch->comp;
    if (!ch->codec_ok)
        return ecl_err_set(e, ECL_EUNSUPPORTED, "unsupported compression codec %d (snappy, gzip, "
                           "zstd and none are)", ch->codec_raw);
    size_t w = ecl_type_width(col->type);
    uint64_t rows_total = (uint64_t)g->num_rows, done = 0;
    if (rows_total > r->max_bytes / (w + 1 + (w ? 0 : 8)))
        return ecl_err_set(e, ECL_ENOMEM, "row group of %llu rows exceeds the reader's memory limit",
                           (unsigned long long)rows_total);
    r->have_dict = false;
    r->dict.n = 0;
    uint64_t p = (uint64_t)start;
    while (done < rows_total) {
        if (p >= end)
            return ecl_err_set(e, ECL_EFORMAT, "corrupt parquet file: column chunk ends after %llu of %llu rows",
                               (unsigned long long)done, (unsigned long long)rows_total);
        pq_page h;
        size_t hl;
        if (!parse_page_header(r->data + p, (size_t)(end - p), &h, &hl))
            return page_err(e, "bad page header");
        const uint8_t *body = r->data + p + hl;
        if ((uint64_t)h.comp > end - p - hl)
            return page_err(e, "page runs past its column chunk");
        p += hl + (uint64_t)h.comp;
        if (h.type == PQ_PAGE_DATA || h.type == PQ_PAGE_DATA_V2) {
            if (h.nvalues < 0 || (uint64_t)h.nvalues > rows_total - done)
                return page_err(e, "page holds more rows than its row group");
        } else if (h.type != PQ_PAGE_DICTIONARY) {
            continue; /* index pages and anything newer */
        }
        int rc = read_page(r, ci, ch, &h, body, col, e);
        if (rc)
            return rc;
        if (h.type != PQ_PAGE_DICTIONARY)
            done += (uint64_t)h.nvalues;
    }
    return 0;
}

int ecl_pq_reader_chunk_info(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_chunk_info *ci)
{
    memset(ci, 0, sizeof *ci);
    if (rg >= r->nrg || col >= r->ncols)
        return ECL_EINVAL;
    const pq_chunk *c = &r->rgs[rg].cols[col];
    ci->dict_page_offset = c->dict_off > 0 ? c->dict_off : -1;
    ci->data_page_offset = c->data_off;
    ci->total_compressed = c->comp;
    ci->total_uncompressed = c->unc;
    ci->num_values = c->num_values;
    ci->codec = c->codec_raw;
    ci->encodings = c->enc_mask;
    return 0;
}

int ecl_pq_reader_pages(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_page_info *pages,
                        size_t max, size_t *n, ecl_err *e)
{
    *n = 0;
    if (rg >= r->nrg || col >= r->ncols)
        return ecl_err_set(e, ECL_EINVAL, "no column chunk %zu/%zu", rg, col);
    const pq_chunk *ch = &r->rgs[rg].cols[col];
    int64_t start = ch->data_off;
    if (ch->dict_off > 0 && ch->dict_off < start)
        start = ch->dict_off;
    if (start < 4 || (uint64_t)start >= r->meta_end || ch->comp <= 0 ||
        (uint64_t)ch->comp > r->meta_end - (uint64_t)start)
        return ecl_err_set(e, ECL_EFORMAT, "corrupt parquet file: column chunk outside the file");
    uint64_t p = (uint64_t)start, end = p + (uint64_t)ch->comp;
    while (p < end) {
        pq_page h;
        size_t hl;
        if (!parse_page_header(r->data + p, (size_t)(end - p), &h, &hl) || (uint64_t)h.comp > end - p - hl)
            return page_err(e, "bad page header");
        if (*n < max)
            pages[*n] = (ecl_pq_page_info){.offset = (int64_t)p, .header_len = hl, .type = h.type,
                                           .encoding = h.enc, .num_values = h.nvalues,
                                           .uncompressed = h.unc, .compressed = h.comp, .stats = h.rs};
        (*n)++;
        p += hl + (uint64_t)h.comp;
    }
    return 0;
}

/* Drops rows past n from a column (undoing a partly read row group). */
static void col_truncate(ecl_column *c, size_t n)
{
    if (c->len <= n)
        return;
    if (c->nulls)
        for (size_t i = n; i < c->len; i++)
            c->nnull -= c->nulls[i] != 0;
    if (c->offsets)
        ecl_buf_setlen(&c->bytes, (size_t)c->offsets[n]);
    c->len = n;
}

int ecl_pq_reader_read_row_group(ecl_pq_reader *r, size_t rg, ecl_batch *out, ecl_err *e)
{
    if (rg >= r->nrg)
        return ecl_err_set(e, ECL_EINVAL, "row group %zu does not exist (%zu in file)", rg, r->nrg);
    if (!out->schema || out->schema->nfields != r->ncols)
        return ecl_err_set(e, ECL_EINVAL, "batch does not match the parquet schema");
    size_t before = out->nrows;
    for (size_t ci = 0; ci < r->ncols; ci++) {
        ecl_column *c = &out->cols[ci];
        if (c->type != r->schema.fields[ci].type || c->len != before)
            return ecl_err_set(e, ECL_EINVAL, "batch does not match the parquet schema");
        int rc = read_chunk(r, rg, ci, c, e);
        if (rc) {
            ecl_err_prefix(e, "row group %zu, column '%s'", rg, r->schema.fields[ci].name);
            /* leave the batch as it was */
            for (size_t k = 0; k <= ci; k++)
                col_truncate(&out->cols[k], before);
            return rc;
        }
    }
    out->nrows = before + (size_t)r->rgs[rg].num_rows;
    return 0;
}
