#!/usr/bin/env bash
# need.sh COMMAND PACKAGE: makes sure COMMAND is on PATH, installing the
# Debian PACKAGE that provides it with apt-get (through sudo when not
# root) when it is missing, and says what to install where it cannot.
set -euo pipefail
command="$1" package="$2"
command -v "$command" >/dev/null && exit 0
command -v apt-get >/dev/null || { echo "$command is missing: install the $package package" >&2; exit 1; }
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
echo "installing $command (apt-get install $package)..." >&2
$sudo apt-get install -y --no-install-recommends "$package" >/dev/null ||
  { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "$package" >/dev/null; } ||
  { echo "could not install $package with apt-get" >&2; exit 1; }
