#!/usr/bin/env bash
# Build the Debian 12 base image that C12's Dockerfiles start FROM, locally,
# with debootstrap, and tag it (default c12/debian:bookworm).
#
# Users normally do not need this: the Dockerfiles default to the official
# debian:bookworm-slim (`ARG BASE`). It is for machines that reach Debian's
# package archive but no container registry (CI here): build this once, then
# `docker build --build-arg BASE=c12/debian:bookworm ...` builds offline.
#
# The image is made as the official slim one is: debootstrap's minbase
# variant, apt set to clean its cache after each install and to skip
# translations, documentation and man pages left out by dpkg. The mirror is
# the one this machine's apt uses (first bookworm URI in /etc/apt/sources.list
# or sources.list.d/*), or $C12_DEBIAN_MIRROR.
#
#   scripts/docker-base.sh           # skip when the tag exists
#   scripts/docker-base.sh --force   # build again
# Environment: C12_BASE_TAG (default c12/debian:bookworm), C12_DEBIAN_MIRROR,
# C12_DEBIAN_SECURITY_MIRROR, DOCKER (default docker).
set -euo pipefail
tag=${C12_BASE_TAG:-c12/debian:bookworm}
suite=bookworm
docker=${DOCKER:-docker}
force=0
[ "${1:-}" = --force ] && force=1

if [ $force = 0 ] && $docker image inspect "$tag" >/dev/null 2>&1; then
  echo "docker-base: $tag exists (scripts/docker-base.sh --force builds it again)"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "docker-base: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "docker-base: debootstrap is missing (scripts/deps.sh --compose)" >&2; exit 1; }

# The first URI apt uses for SUITE (one-line and deb822 formats).
apt_uri() {
  local want=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v s="$want" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { if ($(i+1) == s) { print $i; exit } break } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v s="$want" '
      done { next }
      /^[ \t]*$/ { if (uri != "" && ok && deb) { print uri; done = 1 } uri = ""; ok = 0; deb = 0; next }
      tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
      END { if (!done && uri != "" && ok && deb) print uri }' "$f"
  done
}
mirror=${C12_DEBIAN_MIRROR:-$(apt_uri $suite | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
security=${C12_DEBIAN_SECURITY_MIRROR:-$(apt_uri $suite-security | head -n1)}
security=${security:-http://deb.debian.org/debian-security}

root=$(mktemp -d /var/tmp/c12-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "docker-base: debootstrap --variant=minbase $suite from $mirror into $root"
start=$(date +%s)
debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 30 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# What the official slim image configures (debuerreotype's tweaks).
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
# What the slim image leaves out, and what debootstrap leaves behind.
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
       "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/root/.bash_history
: >"$root/etc/machine-id"
echo "docker-base: importing as $tag"
tar --numeric-owner --xattrs -C "$root" -c . |
  $docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' --message "debootstrap minbase $suite from $mirror" - "$tag" >/dev/null
echo "docker-base: $tag built in $(( $(date +%s) - start )) s ($($docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1 / 1e6}'))"
