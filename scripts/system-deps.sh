#!/usr/bin/env bash
# Installs the Debian packages the browser and TLS tests need, when they are missing.
# Needs root (CI runs as root); elsewhere it says what to install and carries on, and the
# tests that need the package skip loudly (or fail under CI=true).
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v caddy >/dev/null 2>&1 || need+=(caddy)
command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${need[*]} from Debian's packages..."
  apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || \
    echo "could not install ${need[*]}; the tests that need them will say so"
else
  echo "missing Debian packages: ${need[*]} (sudo apt-get install ${need[*]})"
fi
exit 0
