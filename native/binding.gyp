{
  "targets": [
    {
      "target_name": "garagenet_native",
      "sources": [
        "src/addon.cc",
        "src/netns.cc",
        "src/route_socket.cc",
        "src/socket_wrap.cc",
        "src/events_wrap.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"]
    }
  ]
}
