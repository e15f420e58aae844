#include "core/files.hpp"

#include <algorithm>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace ato {
namespace {

std::string describe_errno(int error) {
  return std::strerror(error);
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw FileError("cannot read " + path.string() + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read " + path.string() + ": " + describe_errno(errno));
  // Read at most one byte past the limit: enough to know it is over, never the whole of a huge file.
  std::string content;
  char buffer[65536];
  while (in && content.size() <= max_bytes) {
    in.read(buffer, static_cast<std::streamsize>(
                        std::min<std::size_t>(sizeof buffer, max_bytes + 1 - content.size())));
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) throw FileError("cannot read " + path.string() + ": read error");
  if (content.size() > max_bytes)
    throw FileError("cannot read " + path.string() + ": it is larger than " + std::to_string(max_bytes) +
                    " bytes, the limit for this kind of file (is it the right file?)");
  return content;
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content, mode_t mode,
                           Overwrite overwrite) {
  std::error_code ec;
  if (overwrite == Overwrite::No && std::filesystem::exists(path, ec))
    throw FileError(path.string() + " already exists (choose another path, or remove it first)");
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::string temp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  const int fd = mkstemp(temp.data());
  if (fd < 0) throw FileError("cannot write " + path.string() + ": " + describe_errno(errno));
  auto fail = [&](const std::string& what) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    throw FileError("cannot write " + path.string() + ": " + what + ": " + describe_errno(error));
  };
  if (::fchmod(fd, mode) != 0) fail("chmod");
  for (std::size_t written = 0; written < content.size();) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write");
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw FileError("cannot write " + path.string() + ": close: " + describe_errno(error));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw FileError("cannot write " + path.string() + ": rename: " + describe_errno(error));
  }
}

namespace {

bool one_of_my_groups(gid_t group) {
  if (group == ::getegid()) return true;
  const int n = ::getgroups(0, nullptr);
  if (n <= 0) return false;
  std::vector<gid_t> groups(static_cast<std::size_t>(n));
  const int got = ::getgroups(n, groups.data());
  return got > 0 && std::find(groups.begin(), groups.begin() + got, group) != groups.begin() + got;
}

}  // namespace

std::optional<std::string> secret_file_exposure(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  if (st.st_mode & S_IROTH)
    return "is readable by other users; chmod 600 it (or 640 with the group the bridge runs as, "
           "e.g. chown root:ato-bridge and chmod 640 for the service)";
  if ((st.st_mode & S_IRGRP) && !one_of_my_groups(st.st_gid)) {
    std::string group = std::to_string(st.st_gid);
    if (const struct group* g = ::getgrgid(st.st_gid)) group = g->gr_name;
    return "is readable by group " + group +
           ", which the bridge does not run as; chmod 600 it, or chgrp it to the bridge's own group";
  }
  return std::nullopt;
}

}  // namespace ato
