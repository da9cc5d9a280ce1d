// CancelToken on its own: polling, sleeping, throwing, combining sources.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "lockstep/engine/cancel_token.hpp"
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
  lockstep::CancelSource source;
  const CancelToken token({&source, nullptr, nullptr});
  CHECK_FALSE(token.cancelled());
  source.cancel();
  CHECK(token.cancelled());
  CHECK_THROWS_AS(token.throw_if_cancelled(), lockstep::Cancelled);
  CHECK(std::string(lockstep::Cancelled().what()) == "cancelled");
}

TEST_CASE("any one of several sources cancels a token and null sources are ignored",
          "[cancel_token]") {
  lockstep::CancelSource a, b;
  const CancelToken token({nullptr, &a, &b});
  CHECK_FALSE(token.cancelled());
  b.cancel();
  CHECK(token.cancelled());
  CHECK_FALSE(CancelToken({&a, nullptr, nullptr}).cancelled());
}

TEST_CASE("sleep_for on an already cancelled token returns false at once", "[cancel_token]") {
  lockstep::CancelSource source;
  source.cancel();
  const CancelToken token({&source, nullptr, nullptr});
  const auto t0 = Clock::now();
  CHECK_FALSE(token.sleep_for(30s));
  CHECK(Clock::now() - t0 < 10s);  // nominally 30 s: it must not have slept it
}

TEST_CASE("sleep_for wakes as soon as another thread cancels", "[cancel_token]") {
  lockstep::CancelSource source;
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
  source.cancel();
  CHECK(lockstep::test::eventually([&] { return done.load(); }, 10s));
  sleeper.join();
  CHECK_FALSE(result.load());
  CHECK(Clock::now() - t0 < 15s);
}

TEST_CASE("with() adds a source without changing the original token", "[cancel_token]") {
  lockstep::CancelSource base, extra;
  const CancelToken token({&base, nullptr, nullptr});
  const CancelToken both = token.with(&extra);
  CHECK_FALSE(both.cancelled());
  extra.cancel();
  CHECK(both.cancelled());
  CHECK_FALSE(token.cancelled());

  lockstep::CancelSource base2, extra2;
  const CancelToken both2 = CancelToken({&base2, nullptr, nullptr}).with(&extra2);
  base2.cancel();
  CHECK(both2.cancelled());

  const CancelToken from_default = CancelToken().with(&extra2);
  CHECK_FALSE(from_default.cancelled());
  extra2.cancel();
  CHECK(from_default.cancelled());
}

TEST_CASE("a zero or negative sleep returns at once", "[cancel_token]") {
  const CancelToken token;
  const auto t0 = Clock::now();
  CHECK(token.sleep_for(0ns));
  CHECK(token.sleep_for(-5s));
  CHECK(Clock::now() - t0 < 4s);
}

TEST_CASE("cancelling a source wakes every token sleeping on it", "[cancel_token]") {
  lockstep::CancelSource source;
  lockstep::CancelSource other;
  const CancelToken token({&source, nullptr, nullptr});
  const CancelToken two({&other, &source, nullptr});
  std::atomic<int> asleep{0}, woke_early{0}, done{0};
  std::vector<std::thread> sleepers;
  for (int i = 0; i < 4; ++i) {
    sleepers.emplace_back([&, i] {
      asleep.fetch_add(1);
      if (!(i % 2 ? two : token).sleep_for(30s)) woke_early.fetch_add(1);
      done.fetch_add(1);
    });
  }
  REQUIRE(lockstep::test::eventually([&] { return asleep.load() == 4; }));
  source.cancel();
  CHECK(lockstep::test::eventually([&] { return done.load() == 4; }, 10s));
  for (auto& t : sleepers) t.join();
  CHECK(woke_early.load() == 4);
  CHECK_FALSE(other.cancelled());
}

TEST_CASE("a reset source no longer cancels its tokens", "[cancel_token]") {
  lockstep::CancelSource source;
  const CancelToken token({&source, nullptr, nullptr});
  source.cancel();
  CHECK(source.cancelled());
  CHECK(token.cancelled());
  source.reset();
  CHECK_FALSE(source.cancelled());
  CHECK_FALSE(token.cancelled());
  CHECK(token.sleep_for(1ms));
  source.cancel();  // and it can be cancelled again
  CHECK(token.cancelled());
  CHECK_FALSE(token.sleep_for(30s));
}
