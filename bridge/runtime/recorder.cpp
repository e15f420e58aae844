#include "bridge/runtime/recorder.hpp"

#include <limits>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bridge/outbox/outbox.hpp"
#include "core/files.hpp"
#include "core/wire.hpp"

namespace ato::bridge {
namespace fs = std::filesystem;

namespace {

std::runtime_error io_error(const fs::path& file, const char* what) {
  return std::runtime_error(fmt::format("recording {}: {}: {}", file.string(), what, std::strerror(errno)));
}

}  // namespace

Recorder::Recorder(fs::path file, const Outbox& outbox) : file_(std::move(file)), outbox_(outbox) {
  std::string text;
  if (fs::exists(file_)) text = read_text_file(file_, std::numeric_limits<std::size_t>::max() - 1);
  // A line without its newline was torn by a crash: the outbox still has the event, it is redone.
  const auto complete = text.empty() ? std::string::npos : text.rfind('\n');
  const std::size_t keep = complete == std::string::npos ? 0 : complete + 1;
  fd_ = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw io_error(file_, "cannot open");
  if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0 || ::lseek(fd_, 0, SEEK_END) < 0)
    throw io_error(file_, "cannot prepare");
  if (keep == 0) {
    last_id_ = outbox_.last_id();  // a new recording holds what is collected from now on
    spdlog::info("recording collected events to {}", file_.string());
    return;
  }
  const std::string_view kept(text.data(), keep - 1);  // without the final newline
  const auto previous = kept.rfind('\n');
  const std::string last_line(previous == std::string_view::npos ? kept : kept.substr(previous + 1));
  std::optional<std::int64_t> id;
  try {
    const auto last = parse_recording_line(last_line);
    id = outbox_.id_of_event(last.event_id, last.sequence);
  } catch (const std::exception&) {
  }
  if (!id) {
    last_id_ = outbox_.last_id();
    spdlog::warn(
        "recording {}: its last event is not in this outbox; appending what is collected from now on",
        file_.string());
    return;
  }
  last_id_ = *id;
  const auto added = catch_up();
  spdlog::info("recording collected events to {} (continued{})", file_.string(),
               added ? fmt::format("; {} events stored before the last stop were added", added) : "");
}

Recorder::~Recorder() {
  if (fd_ >= 0) ::close(fd_);
}

std::int64_t Recorder::catch_up() {
  std::int64_t written = 0;
  for (;;) {
    const auto events = outbox_.stored_after(last_id_, 1000);
    if (events.empty()) break;
    std::string chunk;
    for (const auto& e : events) chunk.append(e.payload).push_back('\n');
    for (std::size_t at = 0; at < chunk.size();) {
      const auto n = ::write(fd_, chunk.data() + at, chunk.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw io_error(file_, "cannot write");
      at += static_cast<std::size_t>(n);
    }
    last_id_ = events.back().id;
    written += static_cast<std::int64_t>(events.size());
  }
  if (written > 0 && ::fdatasync(fd_) != 0) throw io_error(file_, "cannot flush");
  return written;
}

}  // namespace ato::bridge
