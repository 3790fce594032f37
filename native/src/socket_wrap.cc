#include "socket_wrap.h"

#include <string.h>

#include <system_error>

#include "netns.h"

namespace garagenet {

namespace {

const char* ErrnoName(int code) {
  const char* name = strerrorname_np(code);
  return name != nullptr ? name : "EUNKNOWN";
}

// Runs `work` off the main thread and settles a promise with `finish`'s value.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, Napi::Object keepAlive)
      : Napi::AsyncWorker(env, "garagenet:netlink"), deferred_(Napi::Promise::Deferred::New(env)) {
    keepAlive_ = Napi::Persistent(keepAlive);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  virtual void Work() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;

  void Execute() override {
    try {
      Work();
    } catch (const std::system_error& e) {
      code_ = e.code().value();
      SetError(e.what());
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Result(Env())); }
  void OnError(const Napi::Error& error) override {
    Napi::Env env = Env();
    if (code_ != 0) {
      deferred_.Reject(SystemError(env, code_, error.Message()).Value());
    } else {
      deferred_.Reject(error.Value());
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keepAlive_;
  int code_ = 0;
};

class TransactWorker : public PromiseWorker {
 public:
  TransactWorker(Napi::Env env, std::shared_ptr<RouteSocket> socket, Napi::Buffer<uint8_t> messages, size_t perSend)
      : PromiseWorker(env, messages), socket_(std::move(socket)), data_(messages.Data()),
        length_(messages.Length()), perSend_(perSend) {}

 protected:
  void Work() override { result_ = socket_->Transact(data_, length_, perSend_); }
  Napi::Value Result(Napi::Env env) override {
    Napi::Array errors = Napi::Array::New(env, result_.errors.size());
    for (size_t i = 0; i < result_.errors.size(); i++) {
      const RequestError& e = result_.errors[i];
      Napi::Object item = Napi::Object::New(env);
      item.Set("index", e.index);
      item.Set("errno", e.code);
      item.Set("code", ErrnoName(e.code));
      item.Set("message", e.message.empty() ? std::string(strerror(e.code)) : e.message);
      errors[i] = item;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("errors", errors);
    out.Set("sends", result_.sends);
    return out;
  }

 private:
  std::shared_ptr<RouteSocket> socket_;
  uint8_t* data_;
  size_t length_;
  size_t perSend_;
  TransactResult result_;
};

class DumpWorker : public PromiseWorker {
 public:
  DumpWorker(Napi::Env env, std::shared_ptr<RouteSocket> socket, Napi::Buffer<uint8_t> request)
      : PromiseWorker(env, request), socket_(std::move(socket)), data_(request.Data()), length_(request.Length()) {}

 protected:
  void Work() override { out_ = socket_->Dump(data_, length_); }
  Napi::Value Result(Napi::Env env) override {
    auto* owned = new std::vector<uint8_t>(std::move(out_));
    return Napi::Buffer<uint8_t>::New(env, owned->data(), owned->size(),
                                      [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, owned);
  }

 private:
  std::shared_ptr<RouteSocket> socket_;
  uint8_t* data_;
  size_t length_;
  std::vector<uint8_t> out_;
};

}  // namespace

Napi::Error SystemError(Napi::Env env, int code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, ErrnoName(code)));
  error.Set("errno", Napi::Number::New(env, code));
  return error;
}

Napi::Function SocketWrap::Define(Napi::Env env) {
  return DefineClass(env, "RouteSocket",
                     {InstanceMethod<&SocketWrap::Transact>("transact"), InstanceMethod<&SocketWrap::Dump>("dump"),
                      InstanceMethod<&SocketWrap::Close>("close")});
}

SocketWrap::SocketWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SocketWrap>(info) {
  Napi::Env env = info.Env();
  std::string netns;
  if (info.Length() > 0 && info[0].IsString()) netns = info[0].As<Napi::String>();
  try {
    RouteSocketOptions options;
    options.netnsPath = netns;
    socket_ = std::make_shared<RouteSocket>(OpenRouteSocket(options));
  } catch (const std::system_error& e) {
    throw SystemError(env, e.code().value(), e.what());
  }
}

Napi::Value SocketWrap::Transact(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "transact(messages: Buffer, perSend: number)");
  }
  auto* worker = new TransactWorker(env, socket_, info[0].As<Napi::Buffer<uint8_t>>(),
                                    info[1].As<Napi::Number>().Uint32Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value SocketWrap::Dump(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "dump(request: Buffer)");
  auto* worker = new DumpWorker(env, socket_, info[0].As<Napi::Buffer<uint8_t>>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

void SocketWrap::Close(const Napi::CallbackInfo&) { socket_->Close(); }

}  // namespace garagenet
