#!/usr/bin/env bash
# Builds the service image (the repository's Dockerfile) on a Node.js 20 base made here from
# Debian's packages, starts it against the Postgres and Redis running on this machine, and
# checks /health/ready and a login through it. Needs root, buildah, podman (to import the
# base) and mmdebstrap: apt-get install buildah podman mmdebstrap. Prints the image size.
#
# This machine's sandbox refuses setrlimit, so podman/crun cannot start containers; buildah's
# chroot isolation builds and runs the image instead (host network, no read-only root: the
# process runs as uid 10001). What a read-only root needs is checked instead: after the runs,
# nothing outside KAIROS_HOME and /tmp (the task's volumes) was written in the container's root.
set -euo pipefail
cd "$(dirname "$0")/../../.."
work=${KAIROS_IMAGE_WORK:-/tmp/kairos-image}
db=${KAIROS_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
port=${KAIROS_IMAGE_PORT:-18080}
# The load balancer's health check path (the stateless stack's).
health=${KAIROS_IMAGE_HEALTH:-/health/ready}
# `kairos serve` replays a market-data file as its feed (--data is required).
data=${KAIROS_IMAGE_DATA:-../shared/data/backtrader/orcl-1995-2014.txt}
mkdir -p "$work/node"

# 1. A Debian base (minbase) and Node.js 20 on it: this machine's node binary and npm, and its
#    CA bundle (npm reaches the registry through a TLS proxy here).
if ! buildah images -q localhost/kairos-node:20 >/dev/null 2>&1; then
  [ -f "$work/base.tar" ] ||
    mmdebstrap --quiet --variant=minbase --include=ca-certificates,libstdc++6 bookworm "$work/base.tar"
  podman import -q "$work/base.tar" localhost/debian-bookworm:minbase >/dev/null
  cp "$(command -v node)" "$work/node/node"
  rm -rf "$work/node/npm" && cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$work/node/npm"
  cp /etc/ssl/certs/ca-certificates.crt "$work/node/ca.crt"
  cat >"$work/node/Containerfile" <<'CF'
FROM localhost/debian-bookworm:minbase
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ca.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node -v
CF
  buildah bud --isolation chroot -q -t localhost/kairos-node:20 "$work/node" >/dev/null
fi

# 2. The image.
buildah bud --isolation chroot --format docker --layers -q -t localhost/kairos:dev \
  --build-arg BASE=localhost/kairos-node:20 -f Dockerfile . >/dev/null
echo "image localhost/kairos:dev: $(buildah images --format '{{.Size}}' localhost/kairos:dev)"

# 3. Start it against this machine's Postgres (own schema) and Redis.
ctr=$(buildah from -q localhost/kairos:dev)
server=
cleanup() {
  # The server runs in a session of its own: stop buildah and the process it runs in the chroot
  # (killing buildah alone leaves the server listening).
  if [ -n "$server" ]; then
    kill -TERM -- "-$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$server" 2>/dev/null || true
  fi
  buildah rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# KAIROS_HOME as a volume (as in the task): one folder for both runs (local keys, the data file).
rm -rf "$work/home" && mkdir -p "$work/home/data" && cp "$data" "$work/home/data/"
chown -R 10001:10001 "$work/home"
env_args=(--volume "$work/home:/var/lib/kairos:rw" --env "DATABASE_URL=$db" --env DATABASE_SCHEMA=kairos_image
  --env REDIS_URL=redis://127.0.0.1:6379 --env "PORT=$port" --env LOG_LEVEL=warn)
run() { buildah run --isolation chroot --user 10001:10001 "${env_args[@]}" "$@"; }
# Every file of the container's root but its volumes, with size and mtime (compared after the runs).
root_files() {
  local mnt
  mnt=$(buildah mount "$ctr")
  find "$mnt" -xdev \( -path "$mnt/tmp" -o -path "$mnt/var/lib/kairos" -o -path "$mnt/run" \
    -o -path "$mnt/dev" -o -path "$mnt/proc" -o -path "$mnt/sys" \) -prune -o -printf '%P %s %T@\n' |
    LC_ALL=C sort
}
root_files >"$work/root-before"
password="image-check-$(date +%s)-Pw"
out=$(run --env "KAIROS_ADMIN_PASSWORD=$password" "$ctr" -- node /app/bin/kairos.js user create-admin "img$(date +%s)")
user=$(printf '%s\n' "$out" | sed -n 's/^created admin "\([^"]*\)".*/\1/p')
recovery=$(printf '%s\n' "$out" | sed -n '/^Recovery codes/{n;p}' | tr -d ' ')
if curl -s -o /dev/null "http://127.0.0.1:$port/health/live"; then
  echo "FAIL: port $port already answers (a server left running?); set KAIROS_IMAGE_PORT"; exit 1
fi
setsid buildah run --isolation chroot --user 10001:10001 "${env_args[@]}" "$ctr" -- \
  node /app/bin/kairos.js serve --host 127.0.0.1 --data "/var/lib/kairos/data/$(basename "$data")" \
  >"$work/serve.log" 2>&1 &
server=$!

deadline=$((SECONDS + 90))
until curl -fsS "http://127.0.0.1:$port$health" >/dev/null 2>&1; do
  if ((SECONDS > deadline)) || ! kill -0 "$server" 2>/dev/null; then
    echo "FAIL: $health did not answer 200 (log: $work/serve.log)"; exit 1
  fi
  sleep 1
done
echo "ok: $health answers 200"

challenge=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"username\":\"$user\",\"password\":\"$password\"}" "http://127.0.0.1:$port/auth/login" |
  node -e 'process.stdin.on("data",d=>process.stdout.write(JSON.parse(d).challenge))')
tokens=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"challenge\":\"$challenge\",\"recoveryCode\":\"$recovery\"}" "http://127.0.0.1:$port/auth/mfa")
case "$tokens" in *accessToken*) echo "ok: login through the image ($user)" ;;
  *) echo "FAIL: login answered $tokens"; exit 1 ;; esac

# 4. A read-only root works: the runs (create-admin, serve, the login) wrote nothing in the
#    container's root file system but its volumes (/run is buildah's own, for the run).
root_files >"$work/root-after"
buildah umount "$ctr" >/dev/null
written=$(LC_ALL=C comm -13 "$work/root-before" "$work/root-after" | cut -d' ' -f1)
if [ -n "$written" ]; then
  echo "FAIL: written outside KAIROS_HOME and /tmp (a read-only root would refuse):"; echo "$written"; exit 1
fi
echo "ok: nothing written outside KAIROS_HOME and /tmp (read-only root)"
