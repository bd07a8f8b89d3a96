#!/usr/bin/env bash
# Puts real footage that Debian packages ship into DIR (default target/footage), for the detector
# tests. Each file is taken from the installed package when it is there, else extracted from the
# package's .deb fetched with `apt-get download` (no install, no dependencies, no root needed once
# the package lists are present; as root the lists are updated when the download fails).
#
#   hose-test-support/src/main/sh/footage.sh [DIR]
#
#   vtest.avi      opencv-doc       people walking in a hall (PETS 2006), 768x576, MPEG-4 part 2
#   astronaut.png  python3-skimage  portrait of astronaut Eileen Collins (NASA, public domain)
set -euo pipefail

dest="${1:-target/footage}"
mkdir -p "$dest"

files=(
  "vtest.avi opencv-doc /usr/share/doc/opencv-doc/examples/data/vtest.avi"
  "astronaut.png python3-skimage /usr/lib/python3/dist-packages/skimage/data/astronaut.png"
)

download() {
  local pkg="$1" dir="$2"
  (cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) && return 0
  if [[ "$(id -u)" == 0 ]]; then
    apt-get update -qq >/dev/null 2>&1 || true
    (cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) && return 0
  fi
  echo "footage: cannot download the Debian package $pkg (run apt-get update as root?)" >&2
  return 1
}

for entry in "${files[@]}"; do
  read -r name pkg path <<<"$entry"
  [[ -s "$dest/$name" ]] && continue
  if [[ -s "$path" ]]; then
    cp "$path" "$dest/$name.tmp"
  else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    download "$pkg" "$work"
    dpkg-deb --fsys-tarfile "$work"/"$pkg"_*.deb | tar -xO ".$path" >"$dest/$name.tmp"
    rm -rf "$work"
    trap - EXIT
  fi
  mv "$dest/$name.tmp" "$dest/$name"
  echo "footage: $dest/$name from $pkg"
done
