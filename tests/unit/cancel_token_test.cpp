// CancelToken on its own: polling, sleeping, throwing, combining sources.
#include <catch2/catch.hpp>

#include <chrono>
#include <stop_token>
#include <thread>

#include "lockstep/cancel_token.hpp"
#include "support/sync.hpp"

using namespace std::chrono_literals;
using lockstep::CancelToken;
using lockstep::test::Clock;

TEST_CASE("a default token is never cancelled and sleeps the whole duration", "[cancel_token]") {
  const CancelToken token;
  CHECK_FALSE(token.cancelled());
  CHECK_NOTHROW(token.throw_if_cancelled());
  const auto t0 = Clock::now();
  CHECK(token.sleep_for(20ms));
  CHECK(Clock::now() - t0 >= 20ms);
}

TEST_CASE("a token is cancelled when its source is", "[cancel_token]") {
  std::stop_source source;
  const CancelToken token({&source, nullptr, nullptr});
  CHECK_FALSE(token.cancelled());
  source.request_stop();
  CHECK(token.cancelled());
  CHECK_THROWS_AS(token.throw_if_cancelled(), lockstep::Cancelled);
  CHECK(std::string(lockstep::Cancelled().what()) == "cancelled");
}

TEST_CASE("any one of several sources cancels a token and null sources are ignored",
          "[cancel_token]") {
  std::stop_source a, b;
  const CancelToken token({nullptr, &a, &b});
  CHECK_FALSE(token.cancelled());
  b.request_stop();
  CHECK(token.cancelled());
  CHECK_FALSE(CancelToken({&a, nullptr, nullptr}).cancelled());
}

TEST_CASE("sleep_for on an already cancelled token returns false at once", "[cancel_token]") {
  std::stop_source source;
  source.request_stop();
  const CancelToken token({&source, nullptr, nullptr});
  const auto t0 = Clock::now();
  CHECK_FALSE(token.sleep_for(30s));
  CHECK(Clock::now() - t0 < 10s);  // nominally 30 s: it must not have slept it
}

TEST_CASE("sleep_for wakes as soon as another thread cancels", "[cancel_token]") {
  std::stop_source source;
  const CancelToken token({&source, nullptr, nullptr});
  std::atomic<bool> sleeping{false};
  std::atomic<bool> result{true};
  std::atomic<bool> done{false};
  const auto t0 = Clock::now();
  std::thread sleeper([&] {
    sleeping = true;
    result = token.sleep_for(30s);
    done = true;
  });
  REQUIRE(lockstep::test::eventually([&] { return sleeping.load(); }));
  // The sleeper is (about to be) asleep: 30 s nominal, so it is certainly still sleeping unless
  // it ignores its duration; then cancel and expect it back long before the 30 s.
  CHECK(lockstep::test::stays_false([&] { return done.load(); }, 50ms));
  source.request_stop();
  CHECK(lockstep::test::eventually([&] { return done.load(); }, 10s));
  sleeper.join();
  CHECK_FALSE(result.load());
  CHECK(Clock::now() - t0 < 15s);
}

TEST_CASE("with() adds a source without changing the original token", "[cancel_token]") {
  std::stop_source base, extra;
  const CancelToken token({&base, nullptr, nullptr});
  const CancelToken both = token.with(&extra);
  CHECK_FALSE(both.cancelled());
  extra.request_stop();
  CHECK(both.cancelled());
  CHECK_FALSE(token.cancelled());

  std::stop_source base2, extra2;
  const CancelToken both2 = CancelToken({&base2, nullptr, nullptr}).with(&extra2);
  base2.request_stop();
  CHECK(both2.cancelled());

  const CancelToken from_default = CancelToken().with(&extra2);
  CHECK_FALSE(from_default.cancelled());
  extra2.request_stop();
  CHECK(from_default.cancelled());
}

TEST_CASE("a zero or negative sleep returns at once", "[cancel_token]") {
  const CancelToken token;
  const auto t0 = Clock::now();
  CHECK(token.sleep_for(0ns));
  CHECK(token.sleep_for(-5s));
  CHECK(Clock::now() - t0 < 4s);
}
