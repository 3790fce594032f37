#include <napi.h>

#include "events_wrap.h"
#include "socket_wrap.h"

// The addon is only a transport: it opens rtnetlink sockets (in any network
// namespace), moves batches of requests and dumps off the main thread, and
// relays multicast events. Message encoding and decoding live in TypeScript
// (native/netlink/), as pure functions over Buffers with round-trip tests.
static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("RouteSocket", garagenet::SocketWrap::Define(env));
  exports.Set("EventSocket", garagenet::EventsWrap::Define(env));
  return exports;
}

NODE_API_MODULE(garagenet_native, Init)
