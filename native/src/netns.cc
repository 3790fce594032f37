#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <system_error>
#include <thread>

namespace garagenet {

int OpenInNamespace(const std::string& netnsPath, const std::function<int()>& open) {
  if (netnsPath.empty()) return open();
  int fd = -1;
  int err = 0;
  std::string what;
  std::thread worker([&] {
    int nsfd = ::open(netnsPath.c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
      err = errno;
      what = "cannot open network namespace " + netnsPath;
      return;
    }
    if (setns(nsfd, CLONE_NEWNET) != 0) {
      err = errno;
      what = "cannot enter network namespace " + netnsPath;
      ::close(nsfd);
      return;
    }
    ::close(nsfd);
    try {
      fd = open();
    } catch (const std::system_error& e) {
      err = e.code().value();
      what = e.what();
    }
  });
  worker.join();
  if (fd < 0) throw std::system_error(err, std::generic_category(), what);
  return fd;
}

static void SetFlag(int fd, int option) {
  int one = 1;
  // Older kernels lack some of these; the socket still works without them.
  setsockopt(fd, SOL_NETLINK, option, &one, sizeof one);
}

static void SetBuffer(int fd, int forced, int plain, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, forced, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, plain, &bytes, sizeof bytes);
  }
}

int OpenRouteSocket(const RouteSocketOptions& options) {
  return OpenInNamespace(options.netnsPath, [&]() -> int {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot open a netlink socket");
    SetFlag(fd, NETLINK_EXT_ACK);
    SetFlag(fd, NETLINK_CAP_ACK);
    SetFlag(fd, NETLINK_GET_STRICT_CHK);
    SetBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.receiveBufferBytes);
    SetBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, 4 << 20);
    // A worker thread must never wait forever on a reply that will not come.
    timeval timeout{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      int e = errno;
      ::close(fd);
      throw std::system_error(e, std::generic_category(), "cannot bind the netlink socket");
    }
    for (unsigned group : options.groups) {
      if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
        int e = errno;
        ::close(fd);
        throw std::system_error(e, std::generic_category(), "cannot join netlink group " + std::to_string(group));
      }
    }
    return fd;
  });
}

}  // namespace garagenet
