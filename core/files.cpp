#include "core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ato {
namespace {

std::string describe_errno(int error) {
  return std::strerror(error);
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw FileError("cannot read " + path.string() + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read " + path.string() + ": " + describe_errno(errno));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw FileError("cannot read " + path.string() + ": read error");
  return content.str();
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

bool readable_by_others(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

}  // namespace ato
