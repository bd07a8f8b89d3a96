#!/usr/bin/env bash
# Installs the Debian packages the benchmark compares hose with (run as root, or with sudo):
#   psql, pg_dump, pg_restore  postgresql-client  (archive's psql | gzip; restore's pg_dump/pg_restore)
#   a PostgreSQL server        postgresql         (restore's suite runs on Debian's server, whose major
#                                                 version is pg_dump's: pg_dump refuses newer servers)
#   sha256sum, zcat            coreutils, gzip    (verify's baseline)
# Detect's ffmpeg baseline needs libpulse0 for JavaCV's ffmpeg binary.
# libdeflate0: hose's gzip (docs/archive.md#compression), as a deployment with it runs.
set -euo pipefail
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends postgresql-client postgresql coreutils gzip libpulse0 libdeflate0
