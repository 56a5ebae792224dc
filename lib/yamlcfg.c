#include "yamlcfg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "column.h"
#include "io.h"
#include "log.h"

/* Limits that keep hostile input from exhausting memory or the C stack. */
enum {
    MAX_FILE_BYTES = 64 << 20,
    MAX_NODES = 1000000, /* including copies made by aliases and merges */
    MAX_DEPTH = 128,
};

struct ecl_ydoc {
    char *file;
    ecl_ynode *root;
    ecl_ynode **nodes; /* every node, for freeing */
    size_t nnodes, capnodes;
    char **strs; /* every scalar text and tag (copies share them) */
    size_t nstrs, capstrs;
};

/* ---------------------------------------------------------------- building */

typedef struct anchor {
    char *name;
    ecl_ynode *node;
} anchor;

typedef struct frame {
    ecl_ynode *node;
    ecl_ynode *pending_key; /* mappings: a key waiting for its value */
    ecl_ynode **merges;     /* mappings: merge sources from '<<' */
    size_t nmerges;
    char *anchor;           /* anchor to register when the container ends */
} frame;

typedef struct builder {
    ecl_ydoc *doc;
    const uint8_t *src;
    size_t srclen;
    frame stack[MAX_DEPTH + 1];
    size_t depth;
    anchor *anchors;
    size_t nanchors, capanchors;
    ecl_err *e;
} builder;

static int grow(void **p, size_t *cap, size_t need, size_t width)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * width);
    if (!q)
        return ECL_ENOMEM;
    *p = q;
    *cap = n;
    return 0;
}

static int oom(builder *b) { return ecl_err_set(b->e, ECL_ENOMEM, "out of memory loading '%s'", b->doc->file); }

static int at_error(builder *b, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int at_error(builder *b, uint32_t line, uint32_t col, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ecl_err_set(b->e, ECL_ECONFIG, "%s:%u:%u: %s", b->doc->file, line, col, msg);
}

static ecl_ynode *new_node(builder *b, ecl_ykind kind, yaml_mark_t m)
{
    ecl_ydoc *d = b->doc;
    if (d->nnodes >= MAX_NODES) {
        at_error(b, (uint32_t)m.line + 1, (uint32_t)m.column + 1,
                 "document has more than %d nodes (aliases expand to copies)", MAX_NODES);
        return NULL;
    }
    if (grow((void **)&d->nodes, &d->capnodes, d->nnodes + 1, sizeof *d->nodes)) {
        oom(b);
        return NULL;
    }
    ecl_ynode *n = calloc(1, sizeof *n);
    if (!n) {
        oom(b);
        return NULL;
    }
    d->nodes[d->nnodes++] = n;
    n->kind = kind;
    n->file = d->file;
    n->line = (uint32_t)m.line + 1;
    n->col = (uint32_t)m.column + 1;
    return n;
}

static char *keep_str(builder *b, const char *s, size_t len)
{
    ecl_ydoc *d = b->doc;
    if (grow((void **)&d->strs, &d->capstrs, d->nstrs + 1, sizeof *d->strs)) {
        oom(b);
        return NULL;
    }
    char *c = malloc(len + 1);
    if (!c) {
        oom(b);
        return NULL;
    }
    memcpy(c, s, len);
    c[len] = 0;
    d->strs[d->nstrs++] = c;
    return c;
}

static int push_pair(ecl_ynode *map, ecl_ynode *key, ecl_ynode *val, size_t *cap)
{
    if (map->n >= *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        ecl_ynode **k = realloc(map->keys, nc * sizeof *k);
        if (!k)
            return ECL_ENOMEM;
        map->keys = k;
        ecl_ynode **v = realloc(map->items, nc * sizeof *v);
        if (!v)
            return ECL_ENOMEM;
        map->items = v;
        *cap = nc;
    }
    map->keys[map->n] = key;
    map->items[map->n] = val;
    map->n++;
    return 0;
}

/* Containers grow by doubling; capacity is recomputed from n because it is not stored. */
static size_t cap_of(size_t n)
{
    if (n == 0)
        return 0;
    size_t c = 8;
    while (c < n)
        c *= 2;
    return c;
}

static ecl_ynode *copy_node(builder *b, const ecl_ynode *src, int depth)
{
    if (depth > MAX_DEPTH) {
        at_error(b, src->line, src->col, "nesting deeper than %d levels", MAX_DEPTH);
        return NULL;
    }
    yaml_mark_t m = {0, src->line - 1, src->col - 1};
    ecl_ynode *n = new_node(b, src->kind, m);
    if (!n)
        return NULL;
    n->style = src->style;
    n->tag = src->tag;
    n->str = src->str;
    n->len = src->len;
    if (src->kind == ECL_Y_SCALAR || src->n == 0)
        return n;
    n->items = malloc(src->n * sizeof *n->items);
    if (src->kind == ECL_Y_MAP)
        n->keys = malloc(src->n * sizeof *n->keys);
    if (!n->items || (src->kind == ECL_Y_MAP && !n->keys)) {
        oom(b);
        return NULL;
    }
    for (size_t i = 0; i < src->n; i++) {
        ecl_ynode *it = copy_node(b, src->items[i], depth + 1);
        if (!it)
            return NULL;
        it->parent = n;
        it->index = i;
        if (src->kind == ECL_Y_MAP) {
            ecl_ynode *k = copy_node(b, src->keys[i], depth + 1);
            if (!k)
                return NULL;
            k->parent = n;
            n->keys[i] = k;
            it->key = k;
        }
        n->items[i] = it;
        n->n = i + 1;
    }
    return n;
}

static int register_anchor(builder *b, const char *name, ecl_ynode *n)
{
    if (!name)
        return 0;
    if (grow((void **)&b->anchors, &b->capanchors, b->nanchors + 1, sizeof *b->anchors))
        return oom(b);
    char *c = strdup(name);
    if (!c)
        return oom(b);
    b->anchors[b->nanchors++] = (anchor){c, n};
    return 0;
}

static ecl_ynode *find_anchor(builder *b, const char *name)
{
    for (size_t i = b->nanchors; i-- > 0;)
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    return NULL;
}

static bool is_merge_key(const ecl_ynode *k)
{
    return k->kind == ECL_Y_SCALAR && k->style == ECL_YS_PLAIN && !k->tag && strcmp(k->str, "<<") == 0;
}

/* Attaches a finished node to the container on top of the stack (or makes it the root). */
static int attach(builder *b, ecl_ynode *n)
{
    if (b->depth == 0) {
        if (b->doc->root)
            return at_error(b, n->line, n->col, "more than one document in the stream is not supported");
        b->doc->root = n;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    ecl_ynode *c = f->node;
    if (c->kind == ECL_Y_SEQ) {
        size_t cap = cap_of(c->n);
        if (c->n >= cap) {
            size_t nc = cap ? cap * 2 : 8;
            ecl_ynode **v = realloc(c->items, nc * sizeof *v);
            if (!v)
                return oom(b);
            c->items = v;
        }
        n->parent = c;
        n->index = c->n;
        c->items[c->n++] = n;
        return 0;
    }
    if (!f->pending_key) {
        if (n->kind != ECL_Y_SCALAR)
            return at_error(b, n->line, n->col, "mapping keys must be plain values, not a %s",
                            n->kind == ECL_Y_MAP ? "mapping" : "sequence");
        f->pending_key = n;
        return 0;
    }
    ecl_ynode *k = f->pending_key;
    f->pending_key = NULL;
    if (is_merge_key(k)) {
        size_t nsrc = n->kind == ECL_Y_SEQ ? n->n : 1;
        for (size_t i = 0; i < nsrc; i++) {
            ecl_ynode *src = n->kind == ECL_Y_SEQ ? n->items[i] : n;
            if (src->kind != ECL_Y_MAP)
                return at_error(b, src->line, src->col,
                                "a merge key '<<' needs a mapping or a sequence of mappings");
            ecl_ynode **m = realloc(f->merges, (f->nmerges + 1) * sizeof *m);
            if (!m)
                return oom(b);
            f->merges = m;
            f->merges[f->nmerges++] = src;
        }
        return 0;
    }
    size_t cap = cap_of(c->n);
    k->parent = c;
    n->parent = c;
    n->key = k;
    if (push_pair(c, k, n, &cap))
        return oom(b);
    return 0;
}

static int cmp_keyidx(const void *a, const void *b, void *ctx)
{
    const ecl_ynode *m = ctx;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const ecl_ynode *ki = m->keys[i], *kj = m->keys[j];
    size_t n = ki->len < kj->len ? ki->len : kj->len;
    int c = memcmp(ki->str, kj->str, n);
    if (c)
        return c;
    if (ki->len != kj->len)
        return ki->len < kj->len ? -1 : 1;
    return i < j ? -1 : i > j;
}

static bool same_key(const ecl_ynode *a, const ecl_ynode *b)
{
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* Ends a mapping: rejects duplicate explicit keys, then folds in '<<' merges the way PyYAML does
 * (merged pairs first, explicit keys override, earlier merge sources override later ones). */
static int finish_map(builder *b, frame *f)
{
    ecl_ynode *m = f->node;
    size_t nexplicit = m->n;
    size_t *idx = malloc((nexplicit ? nexplicit : 1) * sizeof *idx);
    if (!idx)
        return oom(b);
    for (size_t i = 0; i < nexplicit; i++)
        idx[i] = i;
    qsort_r(idx, nexplicit, sizeof *idx, cmp_keyidx, m);
    for (size_t i = 1; i < nexplicit; i++) {
        const ecl_ynode *a = m->keys[idx[i - 1]], *k = m->keys[idx[i]];
        if (same_key(a, k)) {
            char path[256];
            ecl_y_pathstr(m, path, sizeof path);
            free(idx);
            return at_error(b, k->line, k->col, "duplicate key '%s%s%s' (first at line %u, column %u)",
                            path, path[0] ? "." : "", k->str, a->line, a->col);
        }
    }
    if (f->nmerges == 0) {
        free(idx);
        return 0;
    }
    /* Build the merged list: sources in reverse order, then explicit pairs; keep each key's first
     * position and its last value. */
    ecl_ynode *tmp = calloc(1, sizeof *tmp);
    if (!tmp) {
        free(idx);
        return oom(b);
    }
    size_t cap = 0;
    int rc = 0;
    for (size_t s = f->nmerges; s-- > 0 && !rc;) {
        const ecl_ynode *src = f->merges[s];
        for (size_t i = 0; i < src->n && !rc; i++) {
            ecl_ynode *k = copy_node(b, src->keys[i], (int)b->depth);
            ecl_ynode *v = k ? copy_node(b, src->items[i], (int)b->depth) : NULL;
            if (!v)
                rc = b->e->code ? b->e->code : ECL_ENOMEM;
            else if (push_pair(tmp, k, v, &cap))
                rc = oom(b);
        }
    }
    for (size_t i = 0; i < nexplicit && !rc; i++)
        if (push_pair(tmp, m->keys[i], m->items[i], &cap))
            rc = oom(b);
    free(idx);
    idx = rc ? NULL : malloc((tmp->n ? tmp->n : 1) * sizeof *idx);
    if (!rc && !idx)
        rc = oom(b);
    if (rc) {
        free(tmp->keys);
        free(tmp->items);
        free(tmp);
        return rc;
    }
    for (size_t i = 0; i < tmp->n; i++)
        idx[i] = i;
    qsort_r(idx, tmp->n, sizeof *idx, cmp_keyidx, tmp);
    bool *drop = calloc(tmp->n, sizeof *drop);
    if (!drop) {
        free(idx);
        free(tmp->keys);
        free(tmp->items);
        free(tmp);
        return oom(b);
    }
    for (size_t i = 0; i < tmp->n;) {
        size_t j = i + 1;
        while (j < tmp->n && same_key(tmp->keys[idx[i]], tmp->keys[idx[j]]))
            j++;
        /* idx[i] is the first position, idx[j-1] the last value */
        tmp->items[idx[i]] = tmp->items[idx[j - 1]];
        for (size_t k = i + 1; k < j; k++)
            drop[idx[k]] = true;
        i = j;
    }
    size_t w = 0;
    for (size_t i = 0; i < tmp->n; i++) {
        if (drop[i])
            continue;
        tmp->keys[w] = tmp->keys[i];
        tmp->items[w] = tmp->items[i];
        tmp->keys[w]->parent = m;
        tmp->items[w]->parent = m;
        tmp->items[w]->key = tmp->keys[w];
        w++;
    }
    free(drop);
    free(idx);
    free(m->keys);
    free(m->items);
    m->keys = tmp->keys;
    m->items = tmp->items;
    m->n = w;
    free(tmp);
    return 0;
}

static ecl_ystyle style_of(yaml_scalar_style_t s)
{
    switch (s) {
    case YAML_SINGLE_QUOTED_SCALAR_STYLE: return ECL_YS_SINGLE;
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return ECL_YS_DOUBLE;
    case YAML_LITERAL_SCALAR_STYLE: return ECL_YS_LITERAL;
    case YAML_FOLDED_SCALAR_STYLE: return ECL_YS_FOLDED;
    default: return ECL_YS_PLAIN;
    }
}

/* libyaml reports reader errors (bad UTF-8, control characters) by byte offset only. */
static void offset_to_linecol(const builder *b, size_t off, uint32_t *line, uint32_t *col)
{
    uint32_t l = 1, c = 1;
    for (size_t i = 0; i < off && i < b->srclen; i++) {
        if (b->src[i] == '\n') {
            l++;
            c = 1;
        } else if ((b->src[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static int parser_error(builder *b, const yaml_parser_t *p)
{
    if (p->error == YAML_MEMORY_ERROR)
        return oom(b);
    uint32_t line, col;
    if (p->error == YAML_READER_ERROR) {
        offset_to_linecol(b, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            return at_error(b, line, col, "%s (byte 0x%02x)", p->problem ? p->problem : "invalid input",
                            (unsigned)p->problem_value & 0xFF);
        return at_error(b, line, col, "%s", p->problem ? p->problem : "invalid input");
    }
    line = (uint32_t)p->problem_mark.line + 1;
    col = (uint32_t)p->problem_mark.column + 1;
    if (p->context)
        return at_error(b, line, col, "%s (%s that starts at line %u, column %u)",
                        p->problem ? p->problem : "syntax error", p->context,
                        (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
    return at_error(b, line, col, "%s", p->problem ? p->problem : "syntax error");
}

static int open_container(builder *b, ecl_ykind kind, yaml_mark_t m, const yaml_char_t *anchor_name,
                          const yaml_char_t *tag)
{
    if (b->depth >= MAX_DEPTH)
        return at_error(b, (uint32_t)m.line + 1, (uint32_t)m.column + 1, "nesting deeper than %d levels",
                        MAX_DEPTH);
    ecl_ynode *n = new_node(b, kind, m);
    if (!n)
        return b->e->code;
    if (tag && !(n->tag = keep_str(b, (const char *)tag, strlen((const char *)tag))))
        return b->e->code;
    if (b->depth > 0) {
        /* Link to the enclosing container now, so messages about this node's contents (duplicate
         * keys) can name its full path before it is attached. */
        const frame *pf = &b->stack[b->depth - 1];
        n->parent = pf->node;
        n->index = pf->node->n;
        n->key = pf->node->kind == ECL_Y_MAP ? pf->pending_key : NULL;
    }
    frame *f = &b->stack[b->depth++];
    memset(f, 0, sizeof *f);
    f->node = n;
    if (anchor_name && !(f->anchor = strdup((const char *)anchor_name)))
        return oom(b);
    return 0;
}

static int close_container(builder *b)
{
    frame *f = &b->stack[b->depth - 1];
    int rc = 0;
    if (f->node->kind == ECL_Y_MAP)
        rc = finish_map(b, f);
    free(f->merges);
    f->merges = NULL;
    if (!rc)
        rc = register_anchor(b, f->anchor, f->node);
    free(f->anchor);
    f->anchor = NULL;
    ecl_ynode *n = f->node;
    b->depth--;
    return rc ? rc : attach(b, n);
}

static int on_event(builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        ecl_ynode *n = new_node(b, ECL_Y_SCALAR, ev->start_mark);
        if (!n)
            return b->e->code;
        n->style = style_of(ev->data.scalar.style);
        n->len = ev->data.scalar.length;
        if (!(n->str = keep_str(b, (const char *)ev->data.scalar.value, n->len)))
            return b->e->code;
        const char *tag = (const char *)ev->data.scalar.tag;
        /* "!" is the non-specific tag libyaml reports for quoted scalars: it only means "a string". */
        if (tag && strcmp(tag, "!") != 0 && !(n->tag = keep_str(b, tag, strlen(tag))))
            return b->e->code;
        if (register_anchor(b, (const char *)ev->data.scalar.anchor, n))
            return b->e->code;
        return attach(b, n);
    }
    case YAML_SEQUENCE_START_EVENT:
        return open_container(b, ECL_Y_SEQ, ev->start_mark, ev->data.sequence_start.anchor,
                              ev->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return open_container(b, ECL_Y_MAP, ev->start_mark, ev->data.mapping_start.anchor,
                              ev->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return close_container(b);
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        ecl_ynode *src = find_anchor(b, name);
        if (!src)
            return at_error(b, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                            "unknown alias '*%s'", name);
        ecl_ynode *n = copy_node(b, src, (int)b->depth);
        if (!n)
            return b->e->code;
        n->line = (uint32_t)ev->start_mark.line + 1;
        n->col = (uint32_t)ev->start_mark.column + 1;
        return attach(b, n);
    }
    case YAML_DOCUMENT_START_EVENT:
        if (b->doc->root)
            return at_error(b, (uint32_t)ev->start_mark.line + 1, (uint32_t)ev->start_mark.column + 1,
                            "more than one document in the stream is not supported");
        return 0;
    default:
        return 0;
    }
}

static void free_nodes(ecl_ydoc *d)
{
    for (size_t i = 0; i < d->nnodes; i++) {
        free(d->nodes[i]->items);
        free(d->nodes[i]->keys);
        free(d->nodes[i]);
    }
    free(d->nodes);
    for (size_t i = 0; i < d->nstrs; i++)
        free(d->strs[i]);
    free(d->strs);
}

void ecl_ydoc_free(ecl_ydoc *d)
{
    if (!d)
        return;
    free_nodes(d);
    free(d->file);
    free(d);
}

int ecl_ydoc_load_mem(ecl_ydoc **out, const char *name, const void *data, size_t n, ecl_err *e)
{
    *out = NULL;
    ecl_ydoc *d = calloc(1, sizeof *d);
    if (!d || !(d->file = strdup(name ? name : "<yaml>"))) {
        free(d);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory loading '%s'", name ? name : "<yaml>");
    }
    builder b = {.doc = d, .src = data, .srclen = n, .e = e};
    ecl_err local = ECL_ERR_INIT;
    if (!e)
        b.e = &local;
    int rc = 0;
    if (n > MAX_FILE_BYTES)
        rc = ecl_err_set(b.e, ECL_ECONFIG, "%s: larger than %d MiB", d->file, MAX_FILE_BYTES >> 20);
    yaml_parser_t p;
    if (!rc && !yaml_parser_initialize(&p))
        rc = oom(&b);
    else if (!rc) {
        yaml_parser_set_input_string(&p, data, n);
        for (;;) {
            yaml_event_t ev;
            if (!yaml_parser_parse(&p, &ev)) {
                rc = parser_error(&b, &p);
                break;
            }
            bool end = ev.type == YAML_STREAM_END_EVENT;
            rc = on_event(&b, &ev);
            yaml_event_delete(&ev);
            if (rc || end)
                break;
        }
        yaml_parser_delete(&p);
    }
    for (size_t i = 0; i < b.depth; i++) {
        free(b.stack[i].merges);
        free(b.stack[i].anchor);
    }
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    if (!rc && !d->root) {
        /* An empty file: a null root at 1:1, so lookups simply find nothing. */
        yaml_mark_t m = {0, 0, 0};
        ecl_ynode *r = new_node(&b, ECL_Y_SCALAR, m);
        if (!r || !(r->str = keep_str(&b, "", 0)))
            rc = b.e->code ? b.e->code : ECL_ENOMEM;
        else
            d->root = r;
    }
    if (rc) {
        ecl_ydoc_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

int ecl_ydoc_load_file(ecl_ydoc **out, const char *path, ecl_err *e)
{
    *out = NULL;
    ecl_buf buf = ECL_BUF_INIT;
    int rc = ecl_read_file(path, &buf, MAX_FILE_BYTES, e);
    if (!rc)
        rc = ecl_ydoc_load_mem(out, path, buf.data, buf.len, e);
    ecl_buf_release(&buf);
    return rc;
}

const ecl_ynode *ecl_ydoc_root(const ecl_ydoc *d) { return d ? d->root : NULL; }

/* ---------------------------------------------------------------- navigation */

static bool key_is(const ecl_ynode *k, const char *key, size_t n)
{
    return k->len == n && memcmp(k->str, key, n) == 0;
}

static const ecl_ynode *get_n(const ecl_ynode *map, const char *key, size_t n)
{
    if (!map || map->kind != ECL_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (key_is(map->keys[i], key, n))
            return map->items[i];
    return NULL;
}

const ecl_ynode *ecl_y_get(const ecl_ynode *map, const char *key) { return get_n(map, key, strlen(key)); }

const ecl_ynode *ecl_y_path(const ecl_ynode *n, const char *dotted)
{
    const char *p = dotted;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        n = get_n(n, p, len);
        p += len + (dot != NULL);
    }
    return n;
}

size_t ecl_y_len(const ecl_ynode *n) { return n && n->kind != ECL_Y_SCALAR ? n->n : 0; }

const ecl_ynode *ecl_y_item(const ecl_ynode *n, size_t i)
{
    return n && n->kind != ECL_Y_SCALAR && i < n->n ? n->items[i] : NULL;
}

const char *ecl_y_key(const ecl_ynode *map, size_t i)
{
    return map && map->kind == ECL_Y_MAP && i < map->n ? map->keys[i]->str : NULL;
}

void ecl_y_pathstr(const ecl_ynode *n, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = 0;
    /* Collect the chain root-first; configs are shallow (depth is capped at load). */
    const ecl_ynode *chain[MAX_DEPTH * 2 + 2];
    size_t k = 0;
    for (const ecl_ynode *p = n; p && p->parent && k < sizeof chain / sizeof chain[0]; p = p->parent)
        chain[k++] = p;
    size_t used = 0;
    while (k-- > 0 && used + 1 < cap) {
        const ecl_ynode *p = chain[k];
        int w;
        if (p->parent->kind == ECL_Y_SEQ)
            w = snprintf(out + used, cap - used, "[%zu]", p->index);
        else if (p->key)
            w = snprintf(out + used, cap - used, "%s%s", used ? "." : "", p->key->str);
        else /* a key node itself */
            w = snprintf(out + used, cap - used, "%s%s", used ? "." : "", p->str);
        if (w < 0)
            break;
        used += (size_t)w;
        if (used >= cap)
            used = cap - 1;
    }
}

static int verror(const ecl_ynode *n, ecl_err *e, const char *fmt, va_list ap)
{
    char msg[640], path[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!n)
        return ecl_err_set(e, ECL_ECONFIG, "%s", msg);
    ecl_y_pathstr(n, path, sizeof path);
    if (path[0])
        return ecl_err_set(e, ECL_ECONFIG, "%s:%u:%u: key '%s': %s", n->file, n->line, n->col, path, msg);
    return ecl_err_set(e, ECL_ECONFIG, "%s:%u:%u: %s", n->file, n->line, n->col, msg);
}

int ecl_y_error(const ecl_ynode *n, ecl_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = verror(n, e, fmt, ap);
    va_end(ap);
    return rc;
}

const ecl_ynode *ecl_y_need(const ecl_ynode *map, const char *key, ecl_err *e)
{
    if (map && map->kind != ECL_Y_MAP && !ecl_y_is_null(map)) {
        ecl_y_error(map, e, "expected a mapping with key '%s'", key);
        return NULL;
    }
    const ecl_ynode *v = ecl_y_get(map, key);
    if (!v) {
        char path[256];
        ecl_y_pathstr(map, path, sizeof path);
        if (!map)
            ecl_err_set(e, ECL_ECONFIG, "missing key '%s'", key);
        else
            ecl_err_set(e, ECL_ECONFIG, "%s:%u:%u: missing key '%s%s%s'", map->file, map->line, map->col,
                        path, path[0] ? "." : "", key);
    }
    return v;
}

/* ---------------------------------------------------------------- typing */

static bool plain_untagged(const ecl_ynode *n)
{
    return n->kind == ECL_Y_SCALAR && n->style == ECL_YS_PLAIN && !n->tag;
}

static bool tagged(const ecl_ynode *n, const char *what)
{
    static const char prefix[] = "tag:yaml.org,2002:";
    return n->tag && strncmp(n->tag, prefix, sizeof prefix - 1) == 0 &&
           strcmp(n->tag + sizeof prefix - 1, what) == 0;
}

bool ecl_y_is_null(const ecl_ynode *n)
{
    if (!n)
        return true;
    if (n->kind != ECL_Y_SCALAR)
        return false;
    if (tagged(n, "null"))
        return true;
    if (!plain_untagged(n))
        return false;
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        if (strcmp(n->str, nulls[i]) == 0)
            return true;
    return false;
}

bool ecl_y_is_scalar(const ecl_ynode *n) { return n && n->kind == ECL_Y_SCALAR; }
bool ecl_y_is_map(const ecl_ynode *n) { return n && n->kind == ECL_Y_MAP; }
bool ecl_y_is_seq(const ecl_ynode *n) { return n && n->kind == ECL_Y_SEQ; }

/* How a value is shown in messages: quoted, shortened, control characters escaped. */
static void shown(const ecl_ynode *n, char *out, size_t cap)
{
    if (n->kind == ECL_Y_MAP) {
        snprintf(out, cap, "a mapping");
        return;
    }
    if (n->kind == ECL_Y_SEQ) {
        snprintf(out, cap, "a sequence");
        return;
    }
    if (ecl_y_is_null(n)) {
        snprintf(out, cap, "null");
        return;
    }
    size_t w = 0;
    out[w++] = '\'';
    for (size_t i = 0; i < n->len && w + 8 < cap; i++) {
        unsigned char c = (unsigned char)n->str[i];
        if (i >= 60) {
            memcpy(out + w, "...", 3);
            w += 3;
            break;
        }
        if (c < 0x20 || c == 0x7f)
            w += (size_t)snprintf(out + w, cap - w, "\\x%02x", c);
        else
            out[w++] = (char)c;
    }
    out[w++] = '\'';
    out[w] = 0;
    if (!plain_untagged(n) && w + 20 < cap)
        snprintf(out + w, cap - w, " (a quoted string)");
}

static int expected(const ecl_ynode *n, ecl_err *e, const char *what)
{
    char got[128];
    if (!n)
        return ecl_err_set(e, ECL_ECONFIG, "expected %s, got nothing", what);
    shown(n, got, sizeof got);
    return ecl_y_error(n, e, "expected %s, got %s", what, got);
}

int ecl_y_str(const ecl_ynode *n, const char **out, ecl_err *e)
{
    if (!n || n->kind != ECL_Y_SCALAR || ecl_y_is_null(n))
        return expected(n, e, "a string");
    *out = n->str;
    return 0;
}

/* Digits with '_' separators in base; false on overflow of uint64 or no digits. */
static bool digits(const char *s, const char *end, unsigned base, uint64_t *v)
{
    uint64_t acc = 0;
    bool any = false;
    for (; s < end; s++) {
        if (*s == '_')
            continue;
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (*s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return false;
        if (d >= base || acc > (UINT64_MAX - d) / base)
            return false;
        acc = acc * base + d;
        any = true;
    }
    *v = acc;
    return any;
}

/* YAML 1.1 integers as PyYAML reads them: [-+] then 0b..., 0x..., 0 (octal)..., decimal, or
 * base-60 "1:30". Returns 0, 1 (not an integer) or 2 (out of int64 range). */
static int parse_int(const char *s, size_t len, int64_t *out)
{
    const char *end = s + len;
    bool neg = false;
    if (s < end && (*s == '-' || *s == '+'))
        neg = *s++ == '-';
    if (s == end || *s == '_')
        return 1;
    uint64_t v;
    if (end - s > 2 && s[0] == '0' && (s[1] == 'b' || s[1] == 'x')) {
        if (!digits(s + 2, end, s[1] == 'b' ? 2 : 16, &v))
            return 1;
    } else if (memchr(s, ':', (size_t)(end - s))) {
        if (*s == '0')
            return 1;
        v = 0;
        const char *p = s;
        while (p < end) {
            const char *q = memchr(p, ':', (size_t)(end - p));
            if (!q)
                q = end;
            uint64_t part;
            if (!digits(p, q, 10, &part) || (p != s && part >= 60))
                return 1;
            if (v > (UINT64_MAX - part) / 60)
                return 2;
            v = v * 60 + part;
            p = q + (q < end);
            if (q < end && p == end)
                return 1;
        }
    } else if (s[0] == '0' && end - s > 1) {
        if (!digits(s + 1, end, 8, &v))
            return 1;
    } else {
        for (const char *p = s; p < end; p++)
            if (!(*p == '_' || (*p >= '0' && *p <= '9')))
                return 1;
        if (!digits(s, end, 10, &v))
            return 2;
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
        return 2;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static bool numeric_ok(const ecl_ynode *n)
{
    return n && n->kind == ECL_Y_SCALAR && (plain_untagged(n) || tagged(n, "int") || tagged(n, "float"));
}

int ecl_y_int(const ecl_ynode *n, int64_t *out, ecl_err *e)
{
    if (!numeric_ok(n))
        return expected(n, e, "a whole number");
    int r = parse_int(n->str, n->len, out);
    if (r == 2)
        return ecl_y_error(n, e, "whole number '%s' is out of range", n->str);
    if (r)
        return expected(n, e, "a whole number");
    return 0;
}

int ecl_y_int_range(const ecl_ynode *n, int64_t min, int64_t max, int64_t *out, ecl_err *e)
{
    char what[96];
    snprintf(what, sizeof what, "a whole number between %lld and %lld", (long long)min, (long long)max);
    int64_t v;
    if (!numeric_ok(n) || parse_int(n->str, n->len, &v) || v < min || v > max)
        return expected(n, e, what);
    *out = v;
    return 0;
}

int ecl_y_posint(const ecl_ynode *n, int64_t *out, ecl_err *e)
{
    int64_t v;
    if (!numeric_ok(n) || parse_int(n->str, n->len, &v) || v < 1)
        return expected(n, e, "a positive whole number");
    *out = v;
    return 0;
}

/* A number: any integer form, PyYAML floats ("1.5", ".5", "1.0e+3", ".inf", ".nan") and, leniently,
 * exponents without a dot or sign ("1e3") which PyYAML would leave as strings. */
static bool parse_double(const char *s, size_t len, double *out)
{
    int64_t iv;
    if (parse_int(s, len, &iv) == 0) {
        *out = (double)iv;
        return true;
    }
    const char *p = s;
    bool neg = false;
    if (len && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    size_t rest = len - (size_t)(p - s);
    static const char *const infs[] = {".inf", ".Inf", ".INF"};
    for (size_t i = 0; i < 3; i++)
        if (rest == 4 && memcmp(p, infs[i], 4) == 0) {
            *out = neg ? -INFINITY : INFINITY;
            return true;
        }
    static const char *const nans[] = {".nan", ".NaN", ".NAN"};
    for (size_t i = 0; i < 3; i++)
        if (len == 4 && memcmp(s, nans[i], 4) == 0) {
            *out = NAN;
            return true;
        }
    char tmp[128];
    size_t w = 0;
    bool digit = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '_')
            continue;
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return false;
        digit |= c >= '0' && c <= '9';
        if (w + 1 >= sizeof tmp)
            return false;
        tmp[w++] = c;
    }
    tmp[w] = 0;
    if (!digit)
        return false;
    char *endp;
    errno = 0;
    double v = strtod(tmp, &endp);
    if (*endp || endp == tmp)
        return false;
    *out = v;
    return true;
}

int ecl_y_double(const ecl_ynode *n, double *out, ecl_err *e)
{
    if (!numeric_ok(n) || !parse_double(n->str, n->len, out))
        return expected(n, e, "a number");
    return 0;
}

int ecl_y_double_range(const ecl_ynode *n, double min, double max, double *out, ecl_err *e)
{
    char what[96];
    snprintf(what, sizeof what, "a number between %g and %g", min, max);
    double v;
    if (!numeric_ok(n) || !parse_double(n->str, n->len, &v) || !(v >= min && v <= max))
        return expected(n, e, what);
    *out = v;
    return 0;
}

int ecl_y_prob(const ecl_ynode *n, double *out, ecl_err *e) { return ecl_y_double_range(n, 0, 1, out, e); }

int ecl_y_bool(const ecl_ynode *n, bool *out, ecl_err *e)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
    if (n && n->kind == ECL_Y_SCALAR && (plain_untagged(n) || tagged(n, "bool"))) {
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (strcmp(n->str, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcmp(n->str, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    return expected(n, e, "true or false");
}

int ecl_y_date(const ecl_ynode *n, int32_t *days, ecl_err *e)
{
    /* PyYAML turns an unquoted date into a date; a quoted one is a string. Both are fine here. */
    if (!n || n->kind != ECL_Y_SCALAR || ecl_y_is_null(n) || ecl_date_parse(n->str, n->len, days))
        return expected(n, e, "a date YYYY-MM-DD");
    return 0;
}

int ecl_y_enum(const ecl_ynode *n, const char *const *names, int *idx, ecl_err *e)
{
    if (n && n->kind == ECL_Y_SCALAR) {
        for (int i = 0; names[i]; i++) {
            if (strlen(names[i]) == n->len && memcmp(names[i], n->str, n->len) == 0) {
                *idx = i;
                return 0;
            }
        }
    }
    char what[512] = "one of ";
    size_t w = strlen(what);
    for (int i = 0; names[i] && w + 4 < sizeof what; i++) {
        int k = snprintf(what + w, sizeof what - w, "%s%s", i ? ", " : "", names[i]);
        if (k < 0)
            break;
        w += (size_t)k;
    }
    return expected(n, e, what);
}

int ecl_y_opt_str(const ecl_ynode *map, const char *key, const char *def, const char **out, ecl_err *e)
{
    const ecl_ynode *n = ecl_y_get(map, key);
    if (ecl_y_is_null(n)) {
        *out = def;
        return 0;
    }
    return ecl_y_str(n, out, e);
}

#define OPT_GETTER(fn, ctype, getter)                                                               \
    int fn(const ecl_ynode *map, const char *key, ctype def, ctype *out, ecl_err *e)              \
    {                                                                                               \
        const ecl_ynode *n = ecl_y_get(map, key);                                                   \
        if (ecl_y_is_null(n)) {                                                                     \
            *out = def;                                                                             \
            return 0;                                                                               \
        }                                                                                           \
        return getter(n, out, e);                                                                   \
    }

OPT_GETTER(ecl_y_opt_int, int64_t, ecl_y_int)
OPT_GETTER(ecl_y_opt_double, double, ecl_y_double)
OPT_GETTER(ecl_y_opt_prob, double, ecl_y_prob)
OPT_GETTER(ecl_y_opt_bool, bool, ecl_y_bool)

int ecl_y_expect_map(const ecl_ynode *n, ecl_err *e)
{
    return n && n->kind == ECL_Y_MAP ? 0 : expected(n, e, "a mapping");
}

int ecl_y_expect_seq(const ecl_ynode *n, ecl_err *e)
{
    return n && n->kind == ECL_Y_SEQ ? 0 : expected(n, e, "a sequence");
}

/* Edit distance, capped: only small distances matter for "did you mean". */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

size_t ecl_y_check_keys(const ecl_ynode *map, const char *const *allowed, ecl_y_warn_fn warn, void *ctx)
{
    if (!map || map->kind != ECL_Y_MAP)
        return 0;
    size_t unknown = 0;
    for (size_t i = 0; i < map->n; i++) {
        const ecl_ynode *k = map->keys[i];
        bool ok = false;
        const char *best = NULL;
        size_t bestd = 3;
        for (size_t j = 0; allowed[j]; j++) {
            if (strcmp(allowed[j], k->str) == 0) {
                ok = true;
                break;
            }
            size_t d = distance(k->str, allowed[j]);
            if (d < bestd) {
                bestd = d;
                best = allowed[j];
            }
        }
        if (ok)
            continue;
        unknown++;
        char path[256], msg[768], hint[160] = "";
        ecl_y_pathstr(map->items[i], path, sizeof path);
        if (best)
            snprintf(hint, sizeof hint, "; did you mean '%s'?", best);
        snprintf(msg, sizeof msg, "%s:%u:%u: unknown key '%s' (ignored%s)", k->file, k->line, k->col, path,
                 hint);
        if (warn)
            warn(msg, ctx);
        else
            ecl_log(ECL_LOG_WARN, NULL, "%s", msg);
    }
    return unknown;
}
