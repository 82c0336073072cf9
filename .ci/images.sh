#!/usr/bin/env bash
# Builds the gateway's front and silo images from their unchanged Dockerfiles with podman, on a
# Debian 12 machine as root with no Docker engine and no registry. The Dockerfiles' base images are
# local stand-ins, built only when missing from podman's storage (the cache between runs), tagged
# with the exact names the Dockerfiles use; every build runs with --pull=never.
# Usage: eval "$(bash .ci/images.sh)"   (progress on stderr; the environment for the tests on stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
log() { echo "images: $*" >&2; }

sdk_image=mcr.microsoft.com/dotnet/sdk:10.0
runtime_image=mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p' helm/Chart.yaml)
# The images are tagged with the names the chart's defaults render (image.registry/<component>.repository in
# helm/values.yaml), so the container test runs exactly what a default install pulls.
registry=$(awk '/^image:/ { in_image = 1; next } in_image && /^[^ #]/ { exit } in_image && /^  registry:/ { print $2; exit }' helm/values.yaml)
repository() { awk -v c="$1" '/^image:/ { in_image = 1; next } in_image && /^[^ #]/ { exit }
  in_image && $0 ~ "^  " c ":" { in_c = 1; next } in_c && /repository:/ { print $2; exit }' helm/values.yaml; }
dotnet_root=/usr/share/dotnet

# --- tools ---
missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# crun and podman's default ulimits fail on this kind of machine's cgroup layout: runc, no ulimits, no pids limit.
mkdir -p .ci/.cache
export CONTAINERS_CONF="$PWD/.ci/.cache/containers.conf"
printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n' >"$CONTAINERS_CONF"
podman() { command podman --runtime runc "$@"; }

# --- stand-in base images ---
# A stand-in is rebuilt when the machine's .NET changes: its label records the versions it was made from.
dotnet_stamp=$(ls "$dotnet_root/sdk" "$dotnet_root/shared/Microsoft.AspNetCore.App" | tr -s '\n:' ' ' | sed 's/ *$//')
stale() { [ "$(podman image inspect --format '{{ index .Config.Labels "gateway.ci.dotnet" }}' "$1" 2>/dev/null)" != "$dotnet_stamp" ]; }

# Debian bookworm minbase from the machine's apt mirror (the only reachable package source), plus
# what the SDK needs (ICU) and what both need (CA certificates, incl. this machine's own CAs, which
# a TLS-inspecting proxy in front of NuGet may require). Built once per script run, in a temp dir.
rootfs=""
chisel=""
trap 'rm -rf ${rootfs:+"$rootfs"} ${chisel:+"$chisel"}' EXIT
debian_rootfs() {
  [ -z "$rootfs" ] || return 0
  rootfs=$(mktemp -d /tmp/gateway-rootfs.XXXXXX)
  local mirror
  mirror=$(grep -hoE '(URIs:|^deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list.d/* /etc/apt/sources.list 2>/dev/null \
    | grep -oE 'https?://[^ ]+' | head -1 || true)
  log "debootstrap bookworm from ${mirror:=http://deb.debian.org/debian}"
  debootstrap --variant=minbase --include=libicu72,ca-certificates bookworm "$rootfs" "$mirror" >/dev/null
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
  fi
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
  # The "app" user of Microsoft's images.
  chroot "$rootfs" groupadd --system --gid 1654 app
  chroot "$rootfs" useradd --uid 1654 --gid 1654 --create-home --shell /bin/false app
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  ln -sf ../share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
}

common_env=(--change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  --change "ENV APP_UID=1654" --change "ENV ASPNETCORE_HTTP_PORTS=8080" --change "ENV DOTNET_RUNNING_IN_CONTAINER=true"
  --change "LABEL gateway.ci.dotnet=\"$dotnet_stamp\"")

if stale "$sdk_image"; then
  t=$(date +%s); debian_rootfs
  log "building the stand-in $sdk_image"
  # tar switches directory mid-archive: the rootfs, then the machine's .NET at the same path (no copy).
  tar -C "$rootfs" -c . -C / "${dotnet_root#/}" | podman import -q "${common_env[@]}" \
    --change "ENV DOTNET_NOLOGO=true" --change "ENV DOTNET_USE_POLLING_FILE_WATCHER=true" --change "ENV NUGET_XMLDOC_MODE=skip" \
    --change "ENV DOTNET_GENERATE_ASPNET_CERTIFICATE=false" --change "ENV NUGET_CERT_REVOCATION_MODE=offline" \
    - "$sdk_image" >/dev/null
  log "stand-in sdk built in $(( $(date +%s) - t )) s"
fi

if stale "$runtime_image"; then
  t=$(date +%s); debian_rootfs
  log "building the stand-in $runtime_image"
  # Chiseled: no shell, no package manager; only the shared libraries of the packages .NET needs
  # (the "libs" slices), the CA bundle, passwd/group with root and app, and the .NET host and runtimes.
  chisel=$(mktemp -d /tmp/gateway-chisel.XXXXXX)
  (
    cd "$rootfs"
    for link in bin lib lib64 sbin; do [ -L "$link" ] && echo "$link"; done
    for package in libc6 libgcc-s1 libstdc++6 libssl3; do
      for path in $(cat var/lib/dpkg/info/"$package"{,:*}.list 2>/dev/null); do
        case "$path" in *.so|*.so.*) ;; *) continue ;; esac
        case "$path" in */gconv/*) continue ;; esac
        # The real directory (merged /usr), keeping the file itself as it is (a symlink stays one).
        dir=$(realpath --relative-to=. "./$(dirname "$path")")
        echo "$dir/$(basename "$path")"
      done
    done
    echo etc/ssl/certs/ca-certificates.crt
    echo etc/ld.so.cache
    echo etc/os-release; echo usr/lib/os-release
    echo usr/bin/dotnet
  ) | sort -u >"$chisel/files"
  mkdir -p "$chisel/root/etc" "$chisel/root/tmp" "$chisel/root/home/app"
  chmod 1777 "$chisel/root/tmp"; chown 1654:1654 "$chisel/root/home/app"
  printf 'root:x:0:0:root:/root:/noshell\napp:x:1654:1654::/home/app:/noshell\n' >"$chisel/root/etc/passwd"
  printf 'root:x:0:\napp:x:1654:\n' >"$chisel/root/etc/group"
  tar -C "$rootfs" --no-recursion -c -T "$chisel/files" \
    -C "$chisel/root" --recursion etc/passwd etc/group tmp home \
    -C / "${dotnet_root#/}/dotnet" "${dotnet_root#/}/host" "${dotnet_root#/}/shared" "${dotnet_root#/}/LICENSE.txt" \
    | podman import -q "${common_env[@]}" --change "ENV DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=true" --change "USER 1654" \
      - "$runtime_image" >/dev/null
  log "stand-in runtime built in $(( $(date +%s) - t )) s"
fi

# --- the gateway's images, from the Dockerfiles as a registry build uses them ---
# Packages restore inside the build, into the restore layer itself: podman's layer cache then never
# reuses a restore whose packages are gone (a shared NuGet volume outside the layer could be).
for component in front silo; do
  t=$(date +%s)
  image=$registry/$(repository "$component"):$version
  build_log=$(mktemp)
  if ! podman --log-level error build --pull=never --network host -f "Gateway.${component^}/Dockerfile" -t "$image" . \
      >"$build_log" 2>&1; then
    tail -40 "$build_log" >&2
    rm -f "$build_log"
    exit 1
  fi
  rm -f "$build_log"
  log "built $image in $(( $(date +%s) - t )) s"
done

# Untagged build stages are the layer cache of the next run; only week-old ones go.
podman image prune -f --filter until=168h >/dev/null
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' \
  | grep -E "^($registry/|mcr.microsoft.com/dotnet/)" | sed 's/^/images: size /' >&2
log "done in $(( $(date +%s) - started )) s"

echo "export CONTAINERS_CONF='$CONTAINERS_CONF'"
# Set, the container test must run (it fails rather than skips when podman is missing).
echo "export GATEWAY_TEST_IMAGES=1"
