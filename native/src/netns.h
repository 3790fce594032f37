#pragma once
#include <functional>
#include <string>
#include <vector>

namespace garagenet {

// Runs `open` on a short-lived thread that has joined the network namespace at
// `netnsPath` (empty: the caller's own namespace) and returns the descriptor it
// made. A netlink socket stays bound to the namespace it was created in, so the
// rest of the process never changes namespace. Throws std::system_error.
int OpenInNamespace(const std::string& netnsPath, const std::function<int()>& open);

struct RouteSocketOptions {
  std::string netnsPath;             // empty: the caller's namespace
  std::vector<unsigned> groups;      // RTNLGRP_* multicast groups to join
  int receiveBufferBytes = 32 << 20;
};

// A NETLINK_ROUTE socket with extended acks, capped acks, strict dump checks and
// large buffers, joined to the given multicast groups.
int OpenRouteSocket(const RouteSocketOptions& options);

}  // namespace garagenet
