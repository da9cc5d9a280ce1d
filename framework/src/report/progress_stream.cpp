// StreamAboveProgress: a stream buffer that holds text until a line ends, then hands the whole
// lines to ProgressPrinter::print_above, so a live progress line is erased before them.
#include <mutex>
#include <ostream>
#include <streambuf>
#include <string>

#include "lockstep/pipeline/progress.hpp"

namespace lockstep::inline LOCKSTEP_ABI {

// No put area: every character reaches overflow() or xsputn(), under the buffer's own mutex
// (a stream like std::cerr is written from many threads).
class StreamAboveProgress::Buffer final : public std::streambuf {
 public:
  Buffer(std::streambuf* target, ProgressPrinter& printer) : target_(target), printer_(printer) {}

  std::streambuf* target() const { return target_; }

  // What is left of a line that never ended.
  void send_rest() {
    std::lock_guard lock(mutex_);
    if (!pending_.empty()) send(pending_);
    pending_.clear();
  }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    std::lock_guard lock(mutex_);
    pending_ += traits_type::to_char_type(c);
    send_lines();
    return c;
  }

  std::streamsize xsputn(const char* text, std::streamsize size) override {
    std::lock_guard lock(mutex_);
    pending_.append(text, static_cast<std::size_t>(size));
    send_lines();
    return size;
  }

  int sync() override { return 0; }  // lines leave as they end; a flush must not cut one

 private:
  void send_lines() {
    const auto last = pending_.rfind('\n');
    if (last == std::string::npos) return;
    send(pending_.substr(0, last + 1));
    pending_.erase(0, last + 1);
  }

  void send(const std::string& text) {
    printer_.print_above([&] {
      target_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
      target_->pubsync();
    });
  }

  std::streambuf* const target_;
  ProgressPrinter& printer_;
  std::mutex mutex_;
  std::string pending_;
};

StreamAboveProgress::StreamAboveProgress(std::ostream& stream, ProgressPrinter& printer)
    : stream_(stream), buffer_(std::make_unique<Buffer>(stream.rdbuf(), printer)) {
  stream_.rdbuf(buffer_.get());
}

StreamAboveProgress::~StreamAboveProgress() {
  stream_.rdbuf(buffer_->target());
  buffer_->send_rest();
}

}  // namespace lockstep
