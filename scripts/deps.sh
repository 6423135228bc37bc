#!/usr/bin/env bash
# deps.sh: installs, on Debian, whatever of the given commands is missing.
# Usage: scripts/deps.sh what[:package] ...   (package defaults to what)
# what is a command, or an absolute path to a file (for libraries).
set -euo pipefail
missing=()
for spec in "$@"; do
  cmd=${spec%%:*}
  pkg=${spec#*:}
  case $cmd in
  /*) [ -e "$cmd" ] || missing+=("$pkg") ;;
  *) command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
  { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q "${missing[@]}" >/dev/null; }
