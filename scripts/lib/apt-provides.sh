# Sourced by the setup scripts. ensure_provides NAME: makes sure every Debian
# package in the associative array PROVIDES (package -> a file it must
# provide) is installed, asking dpkg first and running apt-get only for what
# is missing; dies (with NAME in the message) when something cannot be
# installed or a file is still missing afterwards.
ensure_provides() {
  local name=$1 pkg
  local -a missing=()
  installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
  fail() { echo "$name: ERROR: $*" >&2; exit 1; }
  for pkg in "${!PROVIDES[@]}"; do
    if ! installed "$pkg" || [ ! -e "${PROVIDES[$pkg]}" ]; then missing+=("$pkg"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "$name: installing ${missing[*]}"
    [ "$(id -u)" -eq 0 ] || fail "need root to install: ${missing[*]}"
    command -v apt-get >/dev/null || fail "apt-get not found; install by hand: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || fail "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" || fail "apt-get install failed for: ${missing[*]}"
  fi
  for pkg in "${!PROVIDES[@]}"; do
    [ -e "${PROVIDES[$pkg]}" ] || fail "$pkg installed but ${PROVIDES[$pkg]} is missing"
  done
}
