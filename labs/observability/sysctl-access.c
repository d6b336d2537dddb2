/*
 * sysctl-access: what a process inside a network namespace can do with each sysctl file, told by
 * the kernel itself rather than by the sysctl(8) tool (procps prints "Invalid argument" for a
 * read-only file without trying, and still exits 0).
 *
 * usage: sysctl-access KEY...       (KEY as sysctl names it: net.core.rmem_max)
 *
 * For each key: stat() of /proc/sys/<path> (its permission bits), read() of its value, then
 * open(O_WRONLY) and write() of that same value back, so nothing changes even where the write
 * succeeds. A key that cannot be read is only opened, never written.
 * events: key {key, mode|null, value|null, read: ok|ERRNO, write: ok|ERRNO|opened}; done
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *USAGE = "sysctl-access KEY...";

/* /proc/sys/ + the key with dots turned into slashes. */
static void key_path(const char *key, char *path, size_t len) {
  snprintf(path, len, "/proc/sys/%s", key);
  for (char *p = path + strlen("/proc/sys/"); *p; p++)
    if (*p == '.') *p = '/';
}

/* Reads the value; collapses tabs and newlines into single blanks (sysctl prints it that way). */
static int read_value(const char *path, char *out, size_t len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno;
  char raw[512];
  ssize_t n = read(fd, raw, sizeof raw - 1);
  int e = errno;
  close(fd);
  if (n < 0) return e;
  raw[n] = 0;
  size_t k = 0;
  int blank = 0;
  for (ssize_t i = 0; i < n && k + 1 < len; i++) {
    char c = raw[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      blank = k > 0;
      continue;
    }
    if (c == '"' || c == '\\' || (unsigned char)c < 0x20) continue; /* never in these values */
    if (blank && k + 2 < len) out[k++] = ' ';
    blank = 0;
    out[k++] = c;
  }
  out[k] = 0;
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) usage_error(USAGE, "no key given");
  for (int i = 1; i < argc; i++) {
    const char *key = argv[i];
    for (const char *c = key; *c; c++)
      if (!(*c == '.' || *c == '_' || *c == '-' || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
        usage_error(USAGE, "a key holds only a-z, 0-9, '.', '_' and '-'");
    char path[256], value[512], mode[16] = "null";
    key_path(key, path, sizeof path);
    struct stat st;
    if (stat(path, &st) == 0) snprintf(mode, sizeof mode, "\"%04o\"", (unsigned)(st.st_mode & 07777));
    int read_err = read_value(path, value, sizeof value);
    const char *write_result = "ok";
    int fd = open(path, O_WRONLY);
    if (fd < 0) {
      write_result = errno_name(errno);
    } else {
      if (read_err) {
        write_result = "opened"; /* nothing read, so nothing to write back */
      } else {
        size_t len = strlen(value);
        value[len] = '\n';
        if (write(fd, value, len + 1) < 0) write_result = errno_name(errno);
        value[len] = 0;
      }
      close(fd);
    }
    if (read_err)
      emit("key", "\"key\":\"%s\",\"mode\":%s,\"value\":null,\"read\":\"%s\",\"write\":\"%s\"", key, mode,
           errno_name(read_err), write_result);
    else
      emit("key", "\"key\":\"%s\",\"mode\":%s,\"value\":\"%s\",\"read\":\"ok\",\"write\":\"%s\"", key, mode,
           value, write_result);
  }
  emit("done", NULL);
  return 0;
}
