#include "run/worker_protocol.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <new>
#include <vector>

namespace lockstep::run::worker {
namespace {

// A message larger than this is a broken peer, not a job's output.
constexpr std::uint32_t kMaxMessage = 256U << 20;

bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const auto written = ::send(fd, data, size, MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

bool read_all(int fd, std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const auto got = ::read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    size -= static_cast<std::size_t>(got);
  }
  return true;
}

}  // namespace

int make_batch_progress_file() {
  const int fd = ::memfd_create("lockstep-batch-progress", MFD_CLOEXEC);
  if (fd < 0) return -1;
  if (::ftruncate(fd, sizeof(BatchProgress)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

BatchProgress* map_batch_progress(int fd) {
  void* page = ::mmap(nullptr, sizeof(BatchProgress), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (page == MAP_FAILED) return nullptr;
  return new (page) BatchProgress;  // a new memfd reads zeros: the same state as constructed
}

bool send(int fd, const Message& message) {
  std::vector<std::uint8_t> bytes(4);
  nlohmann::json::to_msgpack(message, bytes);
  const auto length = static_cast<std::uint32_t>(bytes.size() - 4);
  for (int i = 0; i < 4; ++i) bytes[static_cast<std::size_t>(i)] = (length >> (8 * i)) & 0xFF;
  return write_all(fd, bytes.data(), bytes.size());
}

std::optional<Message> receive(int fd) {
  std::array<std::uint8_t, 4> header{};
  if (!read_all(fd, header.data(), header.size())) return std::nullopt;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length |= std::uint32_t{header[static_cast<std::size_t>(i)]} << (8 * i);
  if (length > kMaxMessage) return std::nullopt;
  std::vector<std::uint8_t> bytes(length);
  if (!read_all(fd, bytes.data(), bytes.size())) return std::nullopt;
  auto message = nlohmann::json::from_msgpack(bytes, true, false);
  if (message.is_discarded() || !message.is_object()) return std::nullopt;
  return message;
}

Message params_to_message(const Params& params) {
  Message result = Message::object();
  for (const auto& [name, value] : params.all()) {
    result[name] = std::visit(
        [](const auto& v) -> Message {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) return {{"s", v}};
          if constexpr (std::is_same_v<T, std::int64_t>) return {{"i", v}};
          if constexpr (std::is_same_v<T, double>) return {{"d", v}};
          if constexpr (std::is_same_v<T, bool>) return {{"b", v}};
          if constexpr (std::is_same_v<T, Duration>) return {{"n", v.count()}};
          if constexpr (std::is_same_v<T, StringList>) return {{"l", v}};
          if constexpr (std::is_same_v<T, StringMap>) return {{"m", v}};
        },
        value);
  }
  return result;
}

Params params_from_message(const Message& message) {
  Params params;
  for (const auto& [name, tagged] : message.items()) {
    if (!tagged.is_object() || tagged.size() != 1) continue;
    const auto entry = tagged.begin();
    const std::string& tag = entry.key();
    const auto& value = entry.value();
    if (tag == "s") params.set(name, value.get<std::string>());
    if (tag == "i") params.set(name, value.get<std::int64_t>());
    if (tag == "d") params.set(name, value.get<double>());
    if (tag == "b") params.set(name, value.get<bool>());
    if (tag == "n") params.set(name, Duration(value.get<Duration::rep>()));
    if (tag == "l") params.set(name, value.get<StringList>());
    if (tag == "m") params.set(name, value.get<StringMap>());
  }
  return params;
}

}  // namespace lockstep::run::worker
