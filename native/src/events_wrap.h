#pragma once
#include <napi.h>

#include <atomic>
#include <thread>

namespace garagenet {

// JS class EventSocket(netnsPath: string, groups: number[], onMessages, receiveBufferBytes?):
// a netlink socket joined to rtnetlink multicast groups; a reader thread hands
// every datagram to onMessages(buffer) on the JS thread, and calls
// onMessages(null) when the kernel dropped events (receive buffer overflow), so
// that the listener knows to resynchronise. close() stops the thread.
class EventsWrap : public Napi::ObjectWrap<EventsWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit EventsWrap(const Napi::CallbackInfo& info);
  ~EventsWrap() override;

 private:
  void Close(const Napi::CallbackInfo& info);
  void Stop();
  void Run();
  int fd_ = -1;
  int wake_ = -1;
  std::thread reader_;
  Napi::ThreadSafeFunction deliver_;
  bool stopped_ = false;
};

}  // namespace garagenet
