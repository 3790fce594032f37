#pragma once
#include <functional>
#include <string>

namespace garagenet {

// Runs `open` on a short-lived thread that has joined the network namespace at
// `netnsPath` (empty: the caller's own namespace) and returns the descriptor it
// made. A netlink socket stays bound to the namespace it was created in, so the
// rest of the process never changes namespace. Throws std::system_error.
int OpenInNamespace(const std::string& netnsPath, const std::function<int()>& open);

// A NETLINK_ROUTE socket with extended acks, capped acks, strict dump checks and
// large buffers, joined to the given multicast groups (RTNLGRP_* numbers).
int OpenRouteSocket(const std::string& netnsPath, const unsigned* groups, size_t groupCount);

}  // namespace garagenet
