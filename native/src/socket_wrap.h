#pragma once
#include <napi.h>

#include <memory>

#include "route_socket.h"

namespace garagenet {

// JS class RouteSocket(netnsPath?: string):
//   transact(messages: Buffer, perSend: number) -> Promise<{ errors, sends }>
//   dump(request: Buffer) -> Promise<Buffer>
//   close()
// Both requests run on the libuv thread pool; the buffers are borrowed (and the
// batch's sequence numbers written into it) until the promise settles.
class SocketWrap : public Napi::ObjectWrap<SocketWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SocketWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Transact(const Napi::CallbackInfo& info);
  Napi::Value Dump(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  std::shared_ptr<RouteSocket> socket_;
};

// Throws a JS Error with `code` (the errno name) and `errno` set.
Napi::Error SystemError(Napi::Env env, int code, const std::string& message);

}  // namespace garagenet
