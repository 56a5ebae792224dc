/* Helpers shared by the S3 and GCS sinks: digests, matching, counters, settings. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "http.h"
#include "remote.h"

int ecl_parse_size(const char *v, uint64_t *out)
{
    if (!v || !*v)
        return ECL_EINVAL;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v)
        return ECL_EINVAL;
    uint64_t mul = 1;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': mul = 1ULL << 10; end++; break;
    case 'M': mul = 1ULL << 20; end++; break;
    case 'G': mul = 1ULL << 30; end++; break;
    default: return ECL_EINVAL;
    }
    if (toupper((unsigned char)*end) == 'I')
        end++;
    if (toupper((unsigned char)*end) == 'B')
        end++;
    if (*end || n > UINT64_MAX / mul)
        return ECL_EINVAL;
    *out = n * mul;
    return 0;
}

char *ecl_ini_get(const char *path, const char *section, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[4096];
    bool in = false;
    char *val = NULL;
    while (!val && fgets(line, sizeof line, f)) {
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        size_t n = strlen(p);
        while (n && isspace((unsigned char)p[n - 1]))
            p[--n] = 0;
        if (*p == '#' || *p == ';' || !*p)
            continue;
        if (*p == '[') {
            char *q = strchr(p, ']');
            if (!q)
                continue;
            *q = 0;
            char *name = p + 1;
            while (isspace((unsigned char)*name))
                name++;
            size_t l = strlen(name);
            while (l && isspace((unsigned char)name[l - 1]))
                name[--l] = 0;
            in = strcmp(name, section) == 0;
            continue;
        }
        if (!in)
            continue;
        char *eq = strchr(p, '=');
        if (!eq)
            continue;
        char *k = p, *ke = eq;
        while (ke > k && isspace((unsigned char)ke[-1]))
            ke--;
        *ke = 0;
        char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        if (strcmp(k, key) == 0)
            val = strdup(v);
    }
    fclose(f);
    return val;
}

int ecl_remote_cfg_load(ecl_remote_cfg *c, const ecl_sink_opts *o, uint64_t min_part, uint64_t part_align,
                        ecl_err *e)
{
    c->threshold = 64ULL << 20;
    c->part_size = 16ULL << 20;
    c->jobs = o && o->jobs > 0 ? o->jobs : 4;
    const char *v = getenv("ECOMLAKE_MULTIPART_THRESHOLD");
    if (v && *v && ecl_parse_size(v, &c->threshold))
        return ecl_err_set(e, ECL_ECONFIG, "ECOMLAKE_MULTIPART_THRESHOLD='%s' is not a size (e.g. 64M)", v);
    v = getenv("ECOMLAKE_PART_SIZE");
    if (v && *v && ecl_parse_size(v, &c->part_size))
        return ecl_err_set(e, ECL_ECONFIG, "ECOMLAKE_PART_SIZE='%s' is not a size (e.g. 16M)", v);
    if (c->part_size < min_part)
        return ecl_err_set(e, ECL_ECONFIG, "part size %llu is below the service minimum of %llu bytes",
                           (unsigned long long)c->part_size, (unsigned long long)min_part);
    if (part_align && c->part_size % part_align)
        return ecl_err_set(e, ECL_ECONFIG, "part size %llu is not a multiple of %llu bytes",
                           (unsigned long long)c->part_size, (unsigned long long)part_align);
    return 0;
}

uint64_t ecl_remote_part_size(const ecl_remote_cfg *c, uint64_t n, uint64_t part_align)
{
    uint64_t ps = c->part_size;
    uint64_t need = (n + 9999) / 10000;
    if (ps < need) {
        uint64_t a = part_align ? part_align : (1ULL << 20);
        ps = (need + a - 1) / a * a;
    }
    return ps;
}

int ecl_sink_digest(ecl_sink *s, const char *path, const void *mem, size_t n, ecl_local_digest *d, ecl_err *e)
{
    return ecl_sink_digest_some(s, path, mem, n, ECL_DIGEST_ALL, d, e);
}

int ecl_sink_digest_some(ecl_sink *s, const char *path, const void *mem, size_t n, unsigned what,
                         ecl_local_digest *d, ecl_err *e)
{
    memset(d, 0, sizeof *d);
    ecl_remote_base *rb = NULL;
    if (strcmp(s->ops->scheme, "s3") == 0 || strcmp(s->ops->scheme, "gs") == 0)
        rb = (ecl_remote_base *)s;
    int fd = -1;
    uint64_t size = n;
    if (path) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return ecl_err_errno(e, errno, "cannot open '%s'", path);
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) {
            int er = errno;
            close(fd);
            return ecl_err_errno(e, er, "cannot size '%s'", path);
        }
        size = (uint64_t)end;
    }
    d->size = size;
    bool mp = rb && rb->multipart_etag && size > rb->cfg.threshold && (what & ECL_DIGEST_ETAG);
    if (!mp && (what & ECL_DIGEST_ETAG))
        what |= ECL_DIGEST_MD5; /* a single-part ETag is the MD5 */
    bool w_sha = what & ECL_DIGEST_SHA256, w_md5 = what & ECL_DIGEST_MD5, w_crc = what & ECL_DIGEST_CRC32C;
    if (!w_sha && !w_md5 && !w_crc && !mp) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    uint64_t ps = mp ? ecl_remote_part_size(&rb->cfg, size, 0) : UINT64_MAX;
    ecl_hash sha = {0}, md5 = {0}, part = {0}, parts = {0};
    if ((w_sha && ecl_hash_init(&sha, ECL_HASH_SHA256)) || (w_md5 && ecl_hash_init(&md5, ECL_HASH_MD5)) ||
        (mp && (ecl_hash_init(&part, ECL_HASH_MD5) || ecl_hash_init(&parts, ECL_HASH_MD5)))) {
        if (fd >= 0)
            close(fd);
        ecl_hash_release(&sha), ecl_hash_release(&md5), ecl_hash_release(&part), ecl_hash_release(&parts);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    uint32_t crc = 0;
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = path ? malloc(CHUNK) : NULL;
    uint64_t pos = 0, in_part = 0;
    int nparts = 0, rc = 0;
    if (path && !buf)
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
    while (!rc && pos < size) {
        size_t want = size - pos < CHUNK ? (size_t)(size - pos) : CHUNK;
        if (mp && ps - in_part < want)
            want = (size_t)(ps - in_part);
        const uint8_t *p;
        if (path) {
            ssize_t got = pread(fd, buf, want, (off_t)pos);
            if (got <= 0) {
                rc = ecl_err_errno(e, got < 0 ? errno : EIO, "cannot read '%s'", path);
                break;
            }
            want = (size_t)got;
            p = buf;
        } else {
            p = (const uint8_t *)mem + pos;
        }
        if (w_sha)
            ecl_hash_update(&sha, p, want);
        if (w_md5)
            ecl_hash_update(&md5, p, want);
        if (w_crc)
            crc = ecl_crc32c(crc, p, want);
        pos += want;
        if (mp) {
            ecl_hash_update(&part, p, want);
            in_part += want;
            if (in_part == ps || pos == size) {
                uint8_t pd[32];
                ecl_hash_final(&part, pd);
                ecl_hash_update(&parts, pd, 16);
                nparts++;
                in_part = 0;
                if (pos < size && ecl_hash_init(&part, ECL_HASH_MD5))
                    rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
            }
        }
    }
    free(buf);
    if (fd >= 0)
        close(fd);
    uint8_t dg[32];
    if (w_sha) {
        ecl_hash_final(&sha, dg);
        ecl_hex(dg, 32, d->sha256_hex);
    }
    if (w_md5) {
        ecl_hash_final(&md5, dg);
        ecl_hex(dg, 16, d->md5_hex);
        ecl_base64(dg, 16, d->md5_b64);
    }
    ecl_hash_release(&part);
    uint8_t pd[32];
    if (mp)
        ecl_hash_final(&parts, pd);
    if (rc) {
        memset(d, 0, sizeof *d);
        return rc;
    }
    if (w_crc) {
        uint8_t cb[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
        ecl_base64(cb, 4, d->crc32c_b64);
    }
    if (mp) {
        char hx[33];
        ecl_hex(pd, 16, hx);
        snprintf(d->etag, sizeof d->etag, "%s-%d", hx, nparts);
    } else if (what & ECL_DIGEST_ETAG) {
        snprintf(d->etag, sizeof d->etag, "%s", d->md5_hex);
    }
    return 0;
}

bool ecl_is_md5_hex(const char *s)
{
    if (strlen(s) != 32)
        return false;
    for (; *s; s++)
        if (!isxdigit((unsigned char)*s))
            return false;
    return true;
}

bool ecl_sink_matches(const ecl_obj_info *r, const ecl_local_digest *l)
{
    if (r->size != l->size)
        return false;
    if (r->sha256_hex[0] && l->sha256_hex[0])
        return strcasecmp(r->sha256_hex, l->sha256_hex) == 0;
    if (r->md5_hex[0] && l->md5_hex[0])
        return strcasecmp(r->md5_hex, l->md5_hex) == 0;
    if (r->crc32c_b64[0] && l->crc32c_b64[0])
        return strcmp(r->crc32c_b64, l->crc32c_b64) == 0;
    if (r->etag[0]) {
        /* A plain-MD5 ETag must equal the MD5; a multipart one our predicted form. An ETag of
         * another shape (SSE-KMS, re-encrypting proxies) proves nothing. */
        if (ecl_is_md5_hex(r->etag))
            return l->md5_hex[0] && strcasecmp(r->etag, l->md5_hex) == 0;
        return l->etag[0] && strcasecmp(r->etag, l->etag) == 0;
    }
    return false;
}

const char *ecl_obj_md5(const ecl_obj_info *r)
{
    if (r->md5_hex[0])
        return r->md5_hex;
    return ecl_is_md5_hex(r->etag) ? r->etag : NULL;
}

void ecl_sink_get_stats(ecl_sink *s, ecl_sink_stats *st)
{
    memset(st, 0, sizeof *st);
    if (strcmp(s->ops->scheme, "s3") != 0 && strcmp(s->ops->scheme, "gs") != 0)
        return;
    ecl_remote_base *rb = (ecl_remote_base *)s;
    st->retries = ecl_http_retries(rb->http);
    st->requests = rb->requests;
    st->bytes_sent = rb->bytes_sent;
}

int ecl_remote_prepare(ecl_sink *s, const char *path, const void *mem, size_t n, const char *key,
                       const ecl_put_opts *o, ecl_local_digest *d, bool *skip, ecl_err *e)
{
    return ecl_remote_prepare_some(s, path, mem, n, key, o, ECL_DIGEST_ALL, d, skip, e);
}

int ecl_remote_prepare_some(ecl_sink *s, const char *path, const void *mem, size_t n, const char *key,
                            const ecl_put_opts *o, unsigned what, ecl_local_digest *d, bool *skip, ecl_err *e)
{
    *skip = false;
    bool have_sha = o && o->sha256_hex && o->sha256_hex[0];
    ecl_obj_info info;
    bool remote_known = false;
    if (o && o->skip_if_same) {
        ecl_err he = ECL_ERR_INIT;
        int hr = s->ops->head(s, key, &info, &he);
        if (hr && hr != ECL_ENOTFOUND)
            return ecl_err_set(e, he.code, "%s", he.msg);
        remote_known = hr == 0;
        if (remote_known && have_sha && info.sha256_hex[0]) {
            /* The remote copy names its SHA-256: compare it with the manifest's and the local size,
             * and read nothing when they agree. */
            struct stat st;
            uint64_t size = n;
            if (path && stat(path, &st))
                return ecl_err_errno(e, errno, "cannot stat '%s'", path);
            if (path)
                size = (uint64_t)st.st_size;
            if (info.size == size && !strcasecmp(info.sha256_hex, o->sha256_hex)) {
                memset(d, 0, sizeof *d);
                d->size = size;
                snprintf(d->sha256_hex, sizeof d->sha256_hex, "%s", o->sha256_hex);
                *skip = true;
                return 0;
            }
        }
        if (remote_known)
            what = ECL_DIGEST_ALL; /* to compare with whatever checksum the remote copy has */
    }
    if (!have_sha)
        what |= ECL_DIGEST_SHA256; /* stored as metadata with the object */
    int rc = ecl_sink_digest_some(s, path, mem, n, what, d, e);
    if (rc)
        return rc;
    if (have_sha && d->sha256_hex[0] && strcasecmp(o->sha256_hex, d->sha256_hex))
        return ecl_err_set(e, ECL_EMISMATCH, "'%s' has sha256 %s, its manifest says %s", path ? path : key,
                           d->sha256_hex, o->sha256_hex);
    if (remote_known && ecl_sink_matches(&info, d))
        *skip = true;
    return 0;
}
