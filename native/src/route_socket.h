#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace garagenet {

// One request of a batch that the kernel refused.
struct RequestError {
  uint32_t index;       // position of the message in the batch
  int code;             // errno
  std::string message;  // the kernel's extended-ack text, if any
};

struct TransactResult {
  std::vector<RequestError> errors;
  uint32_t sends = 0;
};

// A NETLINK_ROUTE socket used from worker threads, one request at a time.
class RouteSocket {
 public:
  explicit RouteSocket(int fd) : fd_(fd) {}
  ~RouteSocket();
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;

  // Sends a buffer of netlink requests, packing up to `perSend` of them into one
  // sendto(). Success is not acknowledged per request: the kernel always answers a
  // failed request with an error carrying that request's sequence number, and
  // only the last request asks for an ack, which arrives after every error of the
  // batch because rtnetlink handles a send synchronously and in order. The
  // buffer's sequence numbers and the last request's NLM_F_ACK are set here.
  TransactResult Transact(uint8_t* data, size_t length, size_t perSend);

  // Sends one dump request and returns every reply message (NLMSG_DONE
  // excluded) back to back. Restarts when the kernel flags the dump as
  // interrupted by a concurrent change.
  std::vector<uint8_t> Dump(uint8_t* request, size_t length);

  void Close();

 private:
  std::vector<uint8_t> DumpOnce(uint8_t* request, size_t length, bool* interrupted);
  int fd_;
  uint32_t nextSeq_ = 1;
  std::mutex mutex_;
};

}  // namespace garagenet
