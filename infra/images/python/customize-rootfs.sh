#!/usr/bin/env bash
# Post-process a debootstrap'ed Debian rootfs (bookworm, minbase +
# python3-minimal) before it is tarred and `docker import`ed as
# coderun/python:3.11. Called by infra/scripts/lib/base.sh; operates on plain
# files only (no chroot). Any change here changes the rootfs cache key.
#
# usage: customize-rootfs.sh ROOTFS_DIR
set -euo pipefail
root=${1:?usage: customize-rootfs.sh ROOTFS_DIR}
[[ -x "$root/usr/bin/python3" ]] || { echo "customize-rootfs: $root/usr/bin/python3 missing" >&2; exit 1; }

# `python` as well as `python3` (cheaper than installing python-is-python3).
ln -sfn python3 "$root/usr/bin/python"

# Trim things a sandboxed runtime never needs.
rm -rf "$root"/var/lib/apt/lists/* \
       "$root"/var/cache/apt/*.bin \
       "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/cache/debconf/*-old \
       "$root"/var/lib/dpkg/*-old \
       "$root"/var/log/* \
       "$root"/usr/share/doc/* \
       "$root"/usr/share/man/* \
       "$root"/usr/share/info/* \
       "$root"/tmp/* "$root"/var/tmp/*
# Docker bind-mounts these at run time; don't bake the build host's copies in.
: > "$root/etc/resolv.conf"
: > "$root/etc/hostname"
rm -f "$root/etc/machine-id"; : > "$root/etc/machine-id"

chmod 1777 "$root/tmp" "$root/var/tmp"
# debootstrap's passwd already has nobody:65534; make sure of it.
grep -q '^nobody:x:65534:65534:' "$root/etc/passwd" || { echo "customize-rootfs: nobody(65534) missing from /etc/passwd" >&2; exit 1; }
