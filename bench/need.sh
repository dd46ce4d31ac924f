# Sourced by the load benchmarks.
#   need COMMAND [PACKAGE]   installs PACKAGE (default: COMMAND) with apt-get when COMMAND is missing, refreshing the
#                            package lists first when the install fails (a fresh machine has none); exits 2 naming
#                            the package when it still cannot.
need() {
  local pkg=${2:-$1}
  command -v "$1" >/dev/null 2>&1 && return 0
  if command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null 2>&1; } || true
  fi
  command -v "$1" >/dev/null 2>&1 || { echo "$1 is required (apt-get install $pkg)" >&2; exit 2; }
}
