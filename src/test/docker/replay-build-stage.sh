#!/usr/bin/env bash
# Replays the Dockerfile's build stage outside Docker (CI has no Docker engine): its COPY lines copy from this
# checkout into an empty directory, its RUN lines run there with an empty home directory standing for the image's
# /root (the cache mount's /root/.m2 starts empty on a first image build). Fails unless the stage's commands succeed and leave
# target/ferry/bin/ferry, which the runtime stage copies.
# Then it runs the runtime stage's class-data archive step (bin/ferry --create-cds-archive) on that layout.
# Usage: src/test/docker/replay-build-stage.sh   Environment: REPLAY_DIR (default target/docker-replay).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
work="${REPLAY_DIR:-$root/target/docker-replay}"
rm -rf "$work"
mkdir -p "$work/build" "$work/home"

# The build stage: from "FROM ... AS build" to the next FROM, continuation lines joined.
stage=$(awk '/^FROM .* AS build/{on=1; next} /^FROM /{on=0} on' Dockerfile | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
[[ -n "$stage" ]] || { echo "replay-build-stage: no build stage in Dockerfile" >&2; exit 1; }

while IFS= read -r line; do
  read -r instr rest <<< "$line"
  case "$instr" in
    COPY)
      read -r -a args <<< "$rest"
      dest="${args[-1]}"
      for src in "${args[@]:0:${#args[@]}-1}"; do
        if [[ "$dest" == */ ]]; then
          mkdir -p "$work/build/$dest"; cp -a "$src" "$work/build/$dest"
        else
          mkdir -p "$(dirname "$work/build/$dest")"; cp -a "$src" "$work/build/$dest"
        fi
      done ;;
    RUN)
      cmd=$(sed -E 's/--mount=type=cache,target=[^ ]+ *//' <<< "$rest")
      echo "replay-build-stage: RUN $cmd"
      # HOME stands for the image's /root: the wrapper's Maven and the repository land in an empty ~/.m2.
      # (Java takes user.home from the password database, not from HOME: hence MAVEN_OPTS too.)
      (cd "$work/build" && HOME="$work/home" MAVEN_OPTS="-Duser.home=$work/home ${MAVEN_OPTS:-}" bash -c "$cmd")
      ;;
    WORKDIR|""|"#"*) ;;
    *) echo "replay-build-stage: instruction not replayed: $instr" >&2; exit 1 ;;
  esac
done <<< "$(grep -v '^[[:space:]]*#' <<< "$stage")"

test -x "$work/build/target/ferry/bin/ferry" || { echo "replay-build-stage: FAILED: no target/ferry/bin/ferry" >&2; exit 1; }

# The runtime stage's class-data archive step, run on the replayed layout (the image's /app is target/ferry here).
cds_run=$(awk '/^FROM /{n++; next} n==2 && /^RUN .*--create-cds-archive/' Dockerfile | sed -e 's/^RUN //')
[[ -n "$cds_run" ]] || { echo "replay-build-stage: FAILED: no --create-cds-archive step in the runtime stage" >&2; exit 1; }
echo "replay-build-stage: RUN (runtime stage) $cds_run"
(cd "$work/build" && bash -c "${cds_run//\/app/$work/build/target/ferry}")
test -s "$work/build/target/ferry/lib/ferry.jsa" || { echo "replay-build-stage: FAILED: no lib/ferry.jsa" >&2; exit 1; }
echo "replay-build-stage: OK ($(ls "$work/build/target/ferry/lib"/*.jar | wc -l) jars in target/ferry/lib," \
     "$(find "$work/home/.m2/repository" -name '*.jar' | wc -l) jars downloaded into an empty repository)"
