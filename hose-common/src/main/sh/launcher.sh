#!/usr/bin/env bash
# hose's launcher: `target/hose-archive archive ...` runs `java -jar target/hose-archive.jar
# archive ...` with the JVM's class cache, so that a start loads the classes the last run of the
# same jar loaded instead of reading and verifying them again. The build puts one copy next to each
# jar (hose, hose-archive, hose-detect); the script's name names its jar.
#
#   Java 24 and later: an AOT cache (JEP 483/514); Java 17 to 23: a dynamic CDS archive.
#   The first run of a command of a jar records what it loads and writes the cache when it exits
#   (seconds more, once); the runs after it use the cache. --help runs neither record nor use one.
#
# A cache is kept per command and keyed to the jar's contents (cksum: CRC-32 and length of every
# byte, read at every start), the Java runtime, JAVA_OPTS and JDK_JAVA_OPTIONS, never to the jar's
# name or date alone: a rebuilt or replaced jar never runs with another jar's cache (JDK-8377932:
# Java 25 before 25.0.4 takes a stale AOT cache when the jar has the same size). The jar's path and
# modification time are in the key too, because the JVM will not use a cache that they do not
# match. Caches of other contents or dates of the same jar are removed.
#
# Environment:
#   HOSE_JAVA       the java to run (default: $JAVA_HOME/bin/java, else java on the PATH)
#   JAVA_OPTS       JVM options, e.g. -Xmx2g (added before -jar)
#   HOSE_CACHE_DIR  where caches go (default: .hose-cache next to the jar, or ~/.cache/hose when
#                   that is not writable; with neither writable the run goes on without a cache)
#   HOSE_CACHE=off  run without a cache
#   HOSE_LAUNCHER_DEBUG=1  say on stderr which cache is used or written
#   MALLOC_MMAP_THRESHOLD_ glibc's; archive, verify and restore set 131072 unless it is set (below)
#   archive, verify, restore and detect also get JIT thresholds that keep C2 off the start (below)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="$(basename "${BASH_SOURCE[0]}")"
jar="$here/$name.jar"
if [[ ! -f "$jar" ]]; then
  echo "$name: $jar is missing: build it with mvn -B package -DskipTests" >&2
  exit 2
fi

java="${HOSE_JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/java}}"
java="${java:-$(command -v java || true)}"
if [[ -z "$java" ]]; then
  echo "$name: no java found: set JAVA_HOME or HOSE_JAVA" >&2
  exit 2
fi
# shellcheck disable=SC2206
opts=(${JAVA_OPTS:-})
# The JVM's own warnings (a cache it cannot use, classes it cannot record) go to stderr: stdout is
# the command's. These come before JAVA_OPTS, so that a user's -Xlog is not disabled by them.
jvm_log=(-XX:+DisplayVMOutputToStderr -Xlog:disable -Xlog:all=warning:stderr)
# ... and a recording run leaves out the classes it cannot cache without a line for each.
quiet_recording=(-Xlog:cds*=error:stderr)

say() { [[ -z "${HOSE_LAUNCHER_DEBUG:-}" ]] || echo "$name: $*" >&2; }

command="${1:-}"

# archive, verify and restore open a native zstd context (a few MB) per zstd or Parquet shard and
# free it at the shard's end. glibc raises its mmap threshold to the size of the first one freed,
# so the ones after it come from malloc's arenas, which keep the memory: a 4M-row zstd archive
# peaked about 50 MB above a 200K-row one. A fixed threshold gives each context back when it is
# freed: flat, at the same speed (docs/archive.md#memory). Not for detect, whose decoder and
# detectors allocate and free frame-sized buffers at video rate: each would be mapped afresh, and
# that was not measured. A value of the user's own wins.
#
# archive, verify, restore and detect also let C2, the JIT's optimizing compiler, wait for ten
# times the calls and loop iterations it waits for by default. A start runs thousands of methods
# (Beam's options registry, pipeline construction and rewrites) a few thousand times each and never
# again; compiling them with C2 took a core from the start on 2 cores, which ran 0.24 s faster
# without it (archive, Java 17 and 25), while the per-row code, called millions of times, still
# reaches C2 within seconds: a 4M-row archive and a 1M-row restore ran no slower
# (docs/archive.md#fixed-costs). detect's per-frame work is native code (decoder, OpenCV), which the
# JIT does not touch; C2 compiling beside the decoder threads slowed them: a 50-video 720p job took
# 12.4 s against 13.2 s with the JVM's thresholds (docs/detect.md#jit). JAVA_OPTS come after, so a
# user's -XX:Tier4... wins.
late_c2=(-XX:Tier4InvocationThreshold=50000 -XX:Tier4MinInvocationThreshold=6000
  -XX:Tier4CompileThreshold=150000 -XX:Tier4BackEdgeThreshold=400000)
if [[ "$command" =~ ^(archive|verify|restore)$ ]]; then
  export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-131072}"
fi
if [[ "$command" =~ ^(archive|verify|restore|detect)$ ]]; then
  opts=("${late_c2[@]}" "${opts[@]}")
fi

# Help and usage load little and exit at once: no cache, and no recording of so little.
if [[ "${HOSE_CACHE:-}" == off || ! "$command" =~ ^[a-z]+$ || "$command" == help \
  || " $* " == *" --help "* ]]; then
  exec "$java" "${opts[@]}" -jar "$jar" "$@"
fi

# The runtime: from its release file (no JVM start), with its version as the cache's kind.
home="$(dirname "$(dirname "$(readlink -f "$java")")")"
runtime="$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$home/release" 2>/dev/null || true)"
major="${runtime%%[.+]*}"
if [[ -z "$runtime" || ! "$major" =~ ^[0-9]+$ || "$major" -lt 17 ]]; then
  say "no cache: cannot tell the Java version of $java"
  exec "$java" "${opts[@]}" -jar "$jar" "$@"
fi

# Java 24 and later warn on stderr, at every start, that libraries hose bundles call
# sun.misc.Unsafe (Beam's vendored protobuf and gRPC) and load native code (snappy, zstd, JavaCPP):
# eight lines of no use to the user. Allowing both keeps what Java 17 to 23 do without a word.
# (They are part of the cache's key below, like JAVA_OPTS.)
if [[ "$major" -ge 24 ]]; then
  opts+=(--sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED)
fi

# Where the cache goes; with no writable place (a read-only image and home), no cache: the run
# itself must not fail for want of one.
writable() { mkdir -p "$1" 2>/dev/null && [[ -w "$1" ]]; }
dir="${HOSE_CACHE_DIR:-$here/.hose-cache}"
if ! writable "$dir"; then
  dir="${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/hose"
  if ! writable "$dir"; then
    say "no cache: neither ${HOSE_CACHE_DIR:-$here/.hose-cache} nor $dir can be written"
    exec "$java" "${opts[@]}" -jar "$jar" "$@"
  fi
fi
read -r crc length _ < <(cksum "$jar")
# The JVM checks a cache against the jar's path, size and modification time, and runs without a
# cache that does not match them (Java 17: "Unable to use shared archive", at every start), so they
# are in the key as well: a jar rebuilt with the same contents, or copied without its date, records
# a cache of its own instead of being offered a dead one for ever.
mtime="$(stat -c %Y "$jar" 2>/dev/null || echo 0)"
opts_key="$(printf '%s' "$jar ${opts[*]:-} ${JDK_JAVA_OPTIONS:-}" | cksum | cut -d' ' -f1)"
if [[ "$major" -ge 24 ]]; then kind=aot; else kind=jsa; fi
# One cache per command: archive, verify and restore load different classes.
cache="$dir/$name-$crc-$length-$mtime-$command-java$runtime-$opts_key.$kind"

# A recording whose JVM has ended is complete or was cut short; the JVM checks a cache before it
# maps one and runs without it when it is not sound, so either way it is safe to offer.
# What a killed recording left (Java 25's .tmp.config) is removed.
for recording in "$cache".*.tmp*; do
  [[ -e "$recording" ]] || continue
  pid="${recording#"$cache".}"
  pid="${pid%%.*}"
  if ! kill -0 "$pid" 2>/dev/null; then
    if [[ "$recording" == *.tmp && -s "$recording" ]]; then
      mv -f "$recording" "$cache"
    else
      rm -f "$recording"
    fi
  fi
done

if [[ -f "$cache" ]]; then
  say "using $cache"
  if [[ "$kind" == aot ]]; then
    exec "$java" "${jvm_log[@]}" "${opts[@]}" -XX:AOTCache="$cache" -jar "$jar" "$@"
  fi
  exec "$java" "${jvm_log[@]}" "${opts[@]}" -XX:SharedArchiveFile="$cache" -Xshare:auto -jar "$jar" "$@"
fi

# First run of these contents: drop the caches of other contents of this jar, then record. exec
# keeps this PID, so the recording is named after the JVM that writes it.
# Only this jar's: its caches are NAME-CRC-..., and the jars beside it share the directory
# (hose-archive-... also starts with hose-).
find "$dir" -maxdepth 1 -name "$name-[0-9]*" ! -name "$name-$crc-$length-$mtime-*" -delete 2>/dev/null || true
recording="$cache.$$.tmp"
say "recording $recording"
if [[ "$kind" == aot ]]; then
  exec "$java" "${jvm_log[@]}" "${opts[@]}" "${quiet_recording[@]}" -Xlog:aot*=error:stderr \
    -XX:AOTCacheOutput="$recording" \
    -jar "$jar" "$@"
fi
exec "$java" "${jvm_log[@]}" "${opts[@]}" "${quiet_recording[@]}" \
  -XX:ArchiveClassesAtExit="$recording" -jar "$jar" "$@"
