#include "events_wrap.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <system_error>
#include <vector>

#include "netns.h"
#include "socket_wrap.h"

namespace garagenet {

Napi::Function EventsWrap::Define(Napi::Env env) {
  return DefineClass(env, "EventSocket", {InstanceMethod<&EventsWrap::Close>("close")});
}

EventsWrap::EventsWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EventsWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsFunction()) {
    throw Napi::TypeError::New(env, "EventSocket(netnsPath: string, groups: number[], onMessages: Function)");
  }
  RouteSocketOptions options;
  options.netnsPath = info[0].As<Napi::String>();
  Napi::Array list = info[1].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) options.groups.push_back(list.Get(i).As<Napi::Number>().Uint32Value());
  if (info.Length() > 3 && info[3].IsNumber()) options.receiveBufferBytes = info[3].As<Napi::Number>().Int32Value();
  try {
    fd_ = OpenRouteSocket(options);
  } catch (const std::system_error& e) {
    throw SystemError(env, e.code().value(), e.what());
  }
  wake_ = eventfd(0, EFD_CLOEXEC);
  if (wake_ < 0) {
    ::close(fd_);
    throw SystemError(env, errno, "cannot create an eventfd");
  }
  deliver_ = Napi::ThreadSafeFunction::New(env, info[2].As<Napi::Function>(), "garagenet:netlink-events", 0, 1);
  reader_ = std::thread([this] { Run(); });
}

EventsWrap::~EventsWrap() { Stop(); }

void EventsWrap::Run() {
  std::vector<uint8_t> buffer(1 << 20);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    ssize_t n = recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno != ENOBUFS) return;
      deliver_.BlockingCall([](Napi::Env env, Napi::Function callback) { callback.Call({env.Null()}); });
      continue;
    }
    auto* chunk = new std::vector<uint8_t>(buffer.begin(), buffer.begin() + n);
    napi_status status = deliver_.BlockingCall(chunk, [](Napi::Env env, Napi::Function callback, std::vector<uint8_t>* data) {
      Napi::Buffer<uint8_t> value = Napi::Buffer<uint8_t>::Copy(env, data->data(), data->size());
      delete data;
      callback.Call({value});
    });
    if (status != napi_ok) {
      delete chunk;
      return;
    }
  }
}

void EventsWrap::Stop() {
  if (stopped_) return;
  stopped_ = true;
  uint64_t one = 1;
  if (write(wake_, &one, sizeof one) < 0) {
    // The reader also stops when the TSFN is released below.
  }
  if (reader_.joinable()) reader_.join();
  deliver_.Release();
  ::close(fd_);
  ::close(wake_);
}

void EventsWrap::Close(const Napi::CallbackInfo&) { Stop(); }

}  // namespace garagenet
