// wasi_files.c — lets a C test linked as a standalone WASI program (the relaxed-SIMD build's tests,
// build/wasm.cmake) open files for reading: Emscripten's standalone libc opens only the standard
// streams. Its open() is weak; this one asks WASI for the path under the runner's one preopened
// directory, "/" (tests/wasi-run.mjs). Reads, seeks and closes already go to WASI.
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

enum { PREOPENED_ROOT = 3 }; // the first preopened directory's descriptor

long __syscall_open(const char *path, long flags, ...) {
    if (!strcmp(path, "/dev/stdin")) return STDIN_FILENO;
    if (!strcmp(path, "/dev/stdout")) return STDOUT_FILENO;
    if (!strcmp(path, "/dev/stderr")) return STDERR_FILENO;
    if ((flags & O_ACCMODE) != O_RDONLY) return -EPERM; // the tests only read
    while (*path == '/') path++;
    __wasi_fd_t fd;
    __wasi_rights_t rights = __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |
                             __WASI_RIGHTS_FD_FILESTAT_GET;
    __wasi_errno_t err = __wasi_path_open(PREOPENED_ROOT, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, path, strlen(path), 0, rights,
                                          0, 0, &fd);
    return err ? -(long)err : (long)fd; // Emscripten's errno values are WASI's
}
