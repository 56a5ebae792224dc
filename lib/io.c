#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mem_write(ecl_out *o, const void *p, size_t n, ecl_err *e)
{
    if (ecl_buf_append((ecl_buf *)o->ctx, p, n))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory buffering %zu bytes", n);
    return 0;
}

void ecl_out_mem(ecl_out *o, ecl_buf *dst)
{
    o->write = mem_write;
    o->close = NULL;
    o->ctx = dst;
    o->written = 0;
}

enum { FILE_BUF = 1 << 20 };

typedef struct file_ctx {
    int fd;
    size_t used;
    char *path;
    uint8_t buf[FILE_BUF];
} file_ctx;

static int write_all(int fd, const uint8_t *p, size_t n, const char *path, ecl_err *e)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ecl_err_errno(e, errno, "cannot write '%s'", path);
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int file_write(ecl_out *o, const void *p, size_t n, ecl_err *e)
{
    file_ctx *f = o->ctx;
    if (f->used + n > FILE_BUF) {
        if (write_all(f->fd, f->buf, f->used, f->path, e))
            return e ? e->code : ECL_EIO;
        f->used = 0;
    }
    if (n >= FILE_BUF)
        return write_all(f->fd, p, n, f->path, e);
    memcpy(f->buf + f->used, p, n);
    f->used += n;
    return 0;
}

static int file_close(ecl_out *o, ecl_err *e)
{
    file_ctx *f = o->ctx;
    int rc = write_all(f->fd, f->buf, f->used, f->path, e);
    f->used = 0;
    if (!rc && fsync(f->fd) != 0)
        rc = ecl_err_errno(e, errno, "cannot sync '%s'", f->path);
    if (close(f->fd) != 0 && !rc)
        rc = ecl_err_errno(e, errno, "cannot close '%s'", f->path);
    free(f->path);
    free(f);
    o->ctx = NULL;
    return rc;
}

int ecl_out_file(ecl_out *o, const char *path, ecl_err *e)
{
    file_ctx *f = malloc(sizeof *f);
    if (!f)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening '%s'", path);
    f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        free(f);
        return ecl_err_errno(e, errno, "cannot create '%s'", path);
    }
    f->used = 0;
    f->path = strdup(path);
    o->write = file_write;
    o->close = file_close;
    o->ctx = f;
    o->written = 0;
    return 0;
}

int ecl_out_close(ecl_out *o, ecl_err *e)
{
    if (!o->close || !o->ctx)
        return 0;
    return o->close(o, e);
}

void ecl_out_abort(ecl_out *o)
{
    if (o->close == file_close && o->ctx) {
        file_ctx *f = o->ctx;
        close(f->fd);
        unlink(f->path);
        free(f->path);
        free(f);
        o->ctx = NULL;
    }
}

int ecl_out_detach(ecl_out *o, int *fd, ecl_err *e)
{
    *fd = -1;
    if (o->close != file_close || !o->ctx)
        return ecl_err_set(e, ECL_EINVAL, "not an open file output");
    file_ctx *f = o->ctx;
    int rc = write_all(f->fd, f->buf, f->used, f->path, e);
    if (rc) {
        ecl_out_abort(o);
        return rc;
    }
    *fd = f->fd;
    free(f->path);
    free(f);
    o->ctx = NULL;
    return 0;
}

int ecl_fsync_dir(const char *dir, ecl_err *e)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot open directory '%s'", dir);
    int rc = 0;
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = ecl_err_errno(e, errno, "cannot sync directory '%s'", dir);
    close(fd);
    return rc;
}

static int dir_of(const char *path, char *out, size_t n)
{
    if (strlen(path) >= n)
        return -1;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, n, "%s", dirname(tmp));
    return 0;
}

int ecl_rename_durable(const char *tmp, const char *final, ecl_err *e)
{
    if (rename(tmp, final) != 0)
        return ecl_err_errno(e, errno, "cannot rename '%s' to '%s'", tmp, final);
    char dir[4096];
    if (dir_of(final, dir, sizeof dir))
        return ecl_err_set(e, ECL_EINVAL, "path too long: '%s'", final);
    return ecl_fsync_dir(dir, e);
}

int ecl_mkdirs(const char *path, ecl_err *e)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return ecl_err_set(e, ECL_EINVAL, "bad directory path '%s'", path);
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return ecl_err_errno(e, errno, "cannot create directory '%s'", tmp);
            tmp[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return ecl_err_set(e, ECL_EIO, "'%s' exists and is not a directory", path);
    return 0;
}

int ecl_read_file(const char *path, ecl_buf *buf, size_t max, ecl_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot open '%s'", path);
    int rc = 0;
    for (;;) {
        if (ecl_buf_grow(buf, 1 << 16)) {
            rc = ecl_err_set(e, ECL_ENOMEM, "'%s' is larger than %zu bytes", path, max);
            break;
        }
        size_t room = buf->cap - buf->len - 1;
        if (max && room > max - buf->len + 1)
            room = max - buf->len + 1;
        ssize_t r = read(fd, buf->data + buf->len, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = ecl_err_errno(e, errno, "cannot read '%s'", path);
            break;
        }
        if (r == 0)
            break;
        ecl_buf_setlen(buf, buf->len + (size_t)r);
        if (max && buf->len > max) {
            rc = ecl_err_set(e, ECL_ENOMEM, "'%s' is larger than %zu bytes", path, max);
            break;
        }
    }
    close(fd);
    return rc;
}

int ecl_write_file_atomic(const char *path, const void *data, size_t n, ecl_err *e)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    ecl_out o;
    int rc = ecl_out_file(&o, tmp, e);
    if (rc)
        return rc;
    rc = ecl_out_write(&o, data, n, e);
    if (rc) {
        ecl_out_abort(&o);
        return rc;
    }
    rc = ecl_out_close(&o, e);
    if (rc) {
        unlink(tmp);
        return rc;
    }
    rc = ecl_rename_durable(tmp, path, e);
    if (rc)
        unlink(tmp);
    return rc;
}
