/* The local directory sink: keys are paths under a root directory.
 *
 * Writes are atomic per object: copy to a hidden temp name in the target directory, fsync, rename,
 * fsync the directory. head computes the SHA-256 of the file (a local disk has no object metadata). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "hash.h"
#include "io.h"
#include "sink.h"

typedef struct file_sink {
    ecl_sink base;
    char *root;
} file_sink;

static int key_path(file_sink *fs, const char *key, char *out, size_t n, ecl_err *e)
{
    if (!*key || key[0] == '/' || strstr(key, "../") || strcmp(key, "..") == 0 ||
        (strlen(key) >= 3 && strcmp(key + strlen(key) - 3, "/..") == 0))
        return ecl_err_set(e, ECL_EINVAL, "bad object key '%s'", key);
    if ((size_t)snprintf(out, n, "%s/%s", fs->root, key) >= n)
        return ecl_err_set(e, ECL_EINVAL, "object key too long: '%s'", key);
    return 0;
}

static int parent_dir(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    size_t len = slash ? (size_t)(slash - path) : 0;
    if (len + 1 > n)
        return -1;
    if (len == 0) {
        snprintf(out, n, "%s", slash ? "/" : ".");
        return 0;
    }
    memcpy(out, path, len);
    out[len] = 0;
    return 0;
}

static int temp_name(const char *final, char *out, size_t n)
{
    static unsigned counter;
    const char *slash = strrchr(final, '/');
    size_t dirlen = slash ? (size_t)(slash - final + 1) : 0;
    unsigned c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    return (size_t)snprintf(out, n, "%.*s.%s.tmp-%ld-%u", (int)dirlen, final, final + dirlen,
                            (long)getpid(), c) >= n
               ? -1
               : 0;
}

/* Copies src to a temp file next to dst, hashing on the way; then renames durably. */
static int copy_durable(const char *src, const char *dst, char sha_hex[65], uint64_t *size, ecl_err *e)
{
    char dir[4096], tmp[4200];
    if (parent_dir(dst, dir, sizeof dir) || temp_name(dst, tmp, sizeof tmp))
        return ecl_err_set(e, ECL_EINVAL, "path too long: '%s'", dst);
    int rc = ecl_mkdirs(dir, e);
    if (rc)
        return rc;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ecl_err_errno(e, errno, "cannot open '%s'", src);
    ecl_out out;
    rc = ecl_out_file(&out, tmp, e);
    if (rc) {
        close(in);
        return rc;
    }
    ecl_hash h;
    if (ecl_hash_init(&h, ECL_HASH_SHA256)) {
        close(in);
        ecl_out_abort(&out);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory copying '%s'", src);
    }
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    if (!buf)
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory copying '%s'", src);
    while (!rc) {
        ssize_t r = read(in, buf, CHUNK);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            rc = ecl_err_errno(e, errno, "cannot read '%s'", src);
        if (r <= 0)
            break;
        ecl_hash_update(&h, buf, (size_t)r);
        rc = ecl_out_write(&out, buf, (size_t)r, e);
    }
    free(buf);
    close(in);
    uint8_t d[32];
    ecl_hash_final(&h, d);
    if (sha_hex)
        ecl_hex(d, 32, sha_hex);
    if (size)
        *size = out.written;
    if (rc) {
        ecl_out_abort(&out);
        return rc;
    }
    rc = ecl_out_close(&out, e);
    if (!rc)
        rc = ecl_rename_durable(tmp, dst, e);
    if (rc)
        unlink(tmp);
    return rc;
}

static int fs_head(ecl_sink *s, const char *key, ecl_obj_info *info, ecl_err *e)
{
    file_sink *fs = (file_sink *)s;
    char path[4096];
    int rc = key_path(fs, key, path, sizeof path, e);
    if (rc)
        return rc;
    memset(info, 0, sizeof *info);
    struct stat st;
    if (stat(path, &st) != 0)
        return ecl_err_errno(e, errno, "cannot stat '%s'", path);
    if (!S_ISREG(st.st_mode))
        return ecl_err_set(e, ECL_ENOTFOUND, "'%s' is not a file", path);
    return ecl_sha256_file(path, info->sha256_hex, &info->size, e);
}

/* Is the existing object at path the same as (size, sha)? */
static bool same_object(const char *path, uint64_t size, const char *sha)
{
    struct stat st;
    if (!sha || stat(path, &st) != 0 || (uint64_t)st.st_size != size)
        return false;
    char have[65];
    uint64_t n;
    ecl_err ignore = ECL_ERR_INIT;
    return ecl_sha256_file(path, have, &n, &ignore) == 0 && strcmp(have, sha) == 0;
}

/* Resolves key to a path and points *res at a zeroed result (the caller's or local). */
static int put_prepare(ecl_sink *s, const char *key, char path[4096], ecl_put_result **res,
                       ecl_put_result *local, ecl_err *e)
{
    if (!*res)
        *res = local;
    memset(*res, 0, sizeof **res);
    return key_path((file_sink *)s, key, path, 4096, e);
}

static int fs_put_file(ecl_sink *s, const char *local_path, const char *key, const ecl_put_opts *o,
                       ecl_put_result *res, ecl_err *e)
{
    char path[4096];
    ecl_put_result local;
    int rc = put_prepare(s, key, path, &res, &local, e);
    if (rc)
        return rc;
    if (o && o->skip_if_same) {
        struct stat st;
        if (stat(local_path, &st) != 0)
            return ecl_err_errno(e, errno, "cannot stat '%s'", local_path);
        char sha[65];
        const char *want = o->sha256_hex;
        if (!want) {
            uint64_t n;
            if ((rc = ecl_sha256_file(local_path, sha, &n, e)))
                return rc;
            want = sha;
        }
        if (same_object(path, (uint64_t)st.st_size, want)) {
            res->skipped = true;
            return 0;
        }
    }
    char sha[65];
    uint64_t size = 0;
    rc = copy_durable(local_path, path, sha, &size, e);
    if (!rc && o && o->sha256_hex && strcmp(o->sha256_hex, sha) != 0)
        rc = ecl_err_set(e, ECL_EMISMATCH, "'%s' changed while copying it to '%s' (sha256 %s, expected %s)",
                         local_path, path, sha, o->sha256_hex);
    res->bytes_sent = size;
    return rc;
}

static int fs_put_bytes(ecl_sink *s, const void *data, size_t n, const char *key, const ecl_put_opts *o,
                        ecl_put_result *res, ecl_err *e)
{
    char path[4096], dir[4096];
    ecl_put_result local;
    int rc = put_prepare(s, key, path, &res, &local, e);
    if (rc)
        return rc;
    if (o && o->skip_if_same) {
        uint8_t d[32];
        char sha[65];
        ecl_sha256(data, n, d);
        ecl_hex(d, 32, sha);
        if (same_object(path, n, sha)) {
            res->skipped = true;
            return 0;
        }
    }
    if (parent_dir(path, dir, sizeof dir))
        return ecl_err_set(e, ECL_EINVAL, "path too long: '%s'", path);
    if ((rc = ecl_mkdirs(dir, e)) || (rc = ecl_write_file_atomic(path, data, n, e)))
        return rc;
    res->bytes_sent = n;
    return 0;
}

static int fs_get(ecl_sink *s, const char *key, ecl_buf *out, ecl_err *e)
{
    file_sink *fs = (file_sink *)s;
    char path[4096];
    int rc = key_path(fs, key, path, sizeof path, e);
    return rc ? rc : ecl_read_file(path, out, 0, e);
}

static int fs_del(ecl_sink *s, const char *key, ecl_err *e)
{
    file_sink *fs = (file_sink *)s;
    char path[4096];
    int rc = key_path(fs, key, path, sizeof path, e);
    if (rc)
        return rc;
    if (unlink(path) != 0 && errno != ENOENT)
        return ecl_err_errno(e, errno, "cannot delete '%s'", path);
    return 0;
}

typedef struct keyent {
    char *key;
    uint64_t size;
} keyent;

typedef struct keylist {
    keyent *v;
    size_t n, cap;
} keylist;

static int keylist_add(keylist *l, const char *key, uint64_t size)
{
    if (ecl_array_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v))
        return ECL_ENOMEM;
    if (!(l->v[l->n].key = strdup(key)))
        return ECL_ENOMEM;
    l->v[l->n++].size = size;
    return 0;
}

/* Walks dir (the key rel, "" at the root) recursively, collecting regular files. */
static int walk(const char *root, const char *rel, keylist *l, ecl_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0;
        return ecl_err_errno(e, errno, "cannot list '%s'", path);
    }
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char key[4096], full[8200];
        if ((size_t)snprintf(key, sizeof key, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= sizeof key)
            continue;
        snprintf(full, sizeof full, "%s/%s", root, key);
        struct stat st;
        if (lstat(full, &st) != 0)
            continue; /* vanished while listing */
        if (S_ISDIR(st.st_mode))
            rc = walk(root, key, l, e);
        else if (S_ISREG(st.st_mode) && keylist_add(l, key, (uint64_t)st.st_size))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory listing '%s'", root);
    }
    closedir(d);
    return rc;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const keyent *)a)->key, ((const keyent *)b)->key);
}

static int fs_list(ecl_sink *s, const char *prefix, ecl_list_cb cb, void *ctx, ecl_err *e)
{
    file_sink *fs = (file_sink *)s;
    /* Walk only the directory part of the prefix; filter the rest by string prefix. */
    char dir[4096];
    const char *slash = strrchr(prefix, '/');
    size_t dl = slash ? (size_t)(slash - prefix) : 0;
    if (dl >= sizeof dir)
        return ecl_err_set(e, ECL_EINVAL, "prefix too long: '%s'", prefix);
    memcpy(dir, prefix, dl);
    dir[dl] = 0;
    keylist l = {0};
    int rc = walk(fs->root, dir, &l, e);
    if (!rc && l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_key);
    size_t plen = strlen(prefix);
    for (size_t i = 0; !rc && i < l.n; i++) {
        if (strncmp(l.v[i].key, prefix, plen) != 0)
            continue;
        ecl_obj_info info;
        memset(&info, 0, sizeof info);
        info.size = l.v[i].size;
        if (cb(l.v[i].key, &info, ctx))
            break;
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].key);
    free(l.v);
    return rc;
}

static void fs_free(ecl_sink *s)
{
    file_sink *fs = (file_sink *)s;
    free(fs->root);
    free(fs->base.url);
    free(fs);
}

static const ecl_sink_ops file_ops = {
    "file", fs_put_file, fs_put_bytes, fs_head, fs_get, fs_list, fs_del, fs_free,
};

int ecl_sink_open_file(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    (void)o;
    *s = NULL;
    const char *dir = ecl_sink_local_dir(url);
    if (!dir || !*dir)
        return ecl_err_set(e, ECL_EINVAL, "'%s' is not a local directory", url);
    file_sink *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->root = strdup(dir)) || !(fs->base.url = strdup(url))) {
        if (fs)
            free(fs->root);
        free(fs);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening '%s'", url);
    }
    size_t n = strlen(fs->root);
    while (n > 1 && fs->root[n - 1] == '/')
        fs->root[--n] = 0;
    fs->base.ops = &file_ops;
    *s = &fs->base;
    return 0;
}
