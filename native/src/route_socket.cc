#include "route_socket.h"

#include <errno.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <system_error>

namespace garagenet {

namespace {

constexpr size_t kReceiveBuffer = 1 << 20;

[[noreturn]] void ThrowErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The NLMSGERR_ATTR_MSG text of an extended ack, or "".
std::string ExtAckMessage(const nlmsghdr* header) {
  if (!(header->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(header));
  size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(header->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  offset = NLMSG_ALIGN(offset);
  auto* base = reinterpret_cast<const uint8_t*>(header);
  while (offset + NLA_HDRLEN <= header->nlmsg_len) {
    auto* attr = reinterpret_cast<const nlattr*>(base + offset);
    if (attr->nla_len < NLA_HDRLEN || offset + attr->nla_len > header->nlmsg_len) break;
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(attr) + NLA_HDRLEN;
      return std::string(text, strnlen(text, attr->nla_len - NLA_HDRLEN));
    }
    offset += NLA_ALIGN(attr->nla_len);
  }
  return "";
}

ssize_t Receive(int fd, std::vector<uint8_t>& buffer, bool wait) {
  for (;;) {
    ssize_t n = recv(fd, buffer.data(), buffer.size(), wait ? 0 : MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait) return 0;
      throw std::system_error(ETIMEDOUT, std::generic_category(), "no reply from the kernel within 30 s");
    }
    if (errno == ENOBUFS) {
      throw std::system_error(errno, std::generic_category(),
                              "the kernel dropped netlink replies (receive buffer overflow)");
    }
    ThrowErrno("netlink receive failed");
  }
}

}  // namespace

RouteSocket::~RouteSocket() { Close(); }

void RouteSocket::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

TransactResult RouteSocket::Transact(uint8_t* data, size_t length, size_t perSend) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "the netlink socket is closed");
  if (perSend == 0) perSend = 1;

  std::vector<size_t> offsets;
  for (size_t offset = 0; offset < length;) {
    if (length - offset < NLMSG_HDRLEN) throw std::invalid_argument("truncated netlink message at the end of the batch");
    auto* header = reinterpret_cast<nlmsghdr*>(data + offset);
    if (header->nlmsg_len < NLMSG_HDRLEN || header->nlmsg_len > length - offset) {
      throw std::invalid_argument("malformed netlink message length at offset " + std::to_string(offset));
    }
    offsets.push_back(offset);
    offset += NLMSG_ALIGN(header->nlmsg_len);
  }
  TransactResult result;
  if (offsets.empty()) return result;

  const uint32_t count = static_cast<uint32_t>(offsets.size());
  const uint32_t base = nextSeq_;
  nextSeq_ += count;
  for (uint32_t i = 0; i < count; i++) {
    auto* header = reinterpret_cast<nlmsghdr*>(data + offsets[i]);
    header->nlmsg_seq = base + i;
    header->nlmsg_pid = 0;
    header->nlmsg_flags &= ~NLM_F_ACK;
  }
  reinterpret_cast<nlmsghdr*>(data + offsets.back())->nlmsg_flags |= NLM_F_ACK;

  std::vector<uint8_t> buffer(kReceiveBuffer);
  bool finished = false;
  // Returns after handling what is queued (or, when waiting, one datagram).
  auto collect = [&](bool wait) {
    for (;;) {
      ssize_t n = Receive(fd_, buffer, wait);
      if (n == 0) return;
      int remaining = static_cast<int>(n);
      for (auto* header = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(header, remaining);
           header = NLMSG_NEXT(header, remaining)) {
        if (header->nlmsg_type != NLMSG_ERROR) continue;
        uint32_t index = header->nlmsg_seq - base;
        if (index >= count) continue;  // a late reply to an earlier, aborted batch
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(header));
        if (err->error != 0) result.errors.push_back({index, -err->error, ExtAckMessage(header)});
        if (index == count - 1) finished = true;
      }
      if (wait) return;
    }
  };

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (uint32_t first = 0; first < count; first += perSend) {
    uint32_t end = first + perSend < count ? first + static_cast<uint32_t>(perSend) : count;
    size_t from = offsets[first];
    size_t to = end < count ? offsets[end] : length;
    ssize_t sent;
    do {
      sent = sendto(fd_, data + from, to - from, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      throw std::system_error(errno, std::generic_category(),
                              "netlink send failed after " + std::to_string(first) + " of " + std::to_string(count) +
                                  " requests");
    }
    result.sends++;
    // Drain the errors of this send now so that they never pile up in the
    // receive buffer, however long the batch.
    collect(false);
  }
  while (!finished) collect(true);
  return result;
}

std::vector<uint8_t> RouteSocket::Dump(uint8_t* request, size_t length) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ < 0) throw std::system_error(EBADF, std::generic_category(), "the netlink socket is closed");
  if (length < NLMSG_HDRLEN) throw std::invalid_argument("the dump request is shorter than a netlink header");
  for (int attempt = 0;; attempt++) {
    bool interrupted = false;
    std::vector<uint8_t> out = DumpOnce(request, length, &interrupted);
    if (!interrupted || attempt == 4) return out;
  }
}

std::vector<uint8_t> RouteSocket::DumpOnce(uint8_t* request, size_t length, bool* interrupted) {
  auto* req = reinterpret_cast<nlmsghdr*>(request);
  const uint32_t seq = nextSeq_++;
  req->nlmsg_seq = seq;
  req->nlmsg_pid = 0;
  req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd_, request, length, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) ThrowErrno("netlink dump request failed");

  std::vector<uint8_t> out;
  std::vector<uint8_t> buffer(kReceiveBuffer);
  for (;;) {
    ssize_t n = Receive(fd_, buffer, true);
    int remaining = static_cast<int>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_seq != seq) continue;
      if (header->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
      if (header->nlmsg_type == NLMSG_DONE) {
        int status = 0;
        if (header->nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) memcpy(&status, NLMSG_DATA(header), sizeof status);
        if (status < 0) throw std::system_error(-status, std::generic_category(), "the kernel aborted the dump");
        return out;
      }
      if (header->nlmsg_type == NLMSG_ERROR) {
        auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(header));
        if (err->error == 0) continue;
        std::string text = ExtAckMessage(header);
        throw std::system_error(-err->error, std::generic_category(),
                                text.empty() ? "the kernel refused the dump" : "the kernel refused the dump: " + text);
      }
      auto* bytes = reinterpret_cast<uint8_t*>(header);
      out.insert(out.end(), bytes, bytes + NLMSG_ALIGN(header->nlmsg_len));
    }
  }
}

}  // namespace garagenet
