#!/usr/bin/env bash
# Post-process a debootstrap'ed Debian rootfs (bookworm, minbase) into the base of coderun's service and broker
# images: adds the jlink'ed Java runtime given as JRE_DIR at /opt/java, the users the images run as, and trims what a
# JVM service never needs. Called by infra/scripts/lib/fleet.sh; plain files only (no chroot). Any change here changes
# the base image's cache key.
#
# usage: customize-rootfs.sh ROOTFS_DIR JRE_DIR
set -euo pipefail
root=${1:?usage: customize-rootfs.sh ROOTFS_DIR JRE_DIR}
jre=${2:?usage: customize-rootfs.sh ROOTFS_DIR JRE_DIR}
[[ -x $jre/bin/java ]] || { echo "customize-rootfs: $jre/bin/java missing" >&2; exit 1; }

mkdir -p "$root/opt"
cp -a "$jre" "$root/opt/java"
ln -sfn /opt/java/bin/java "$root/usr/bin/java"

# coderun (10001) runs the services; appuser (1000) runs the broker, as in the apache/kafka image.
echo 'coderun:x:10001:10001:coderun:/var/lib/coderun:/usr/sbin/nologin' >>"$root/etc/passwd"
echo 'coderun:x:10001:' >>"$root/etc/group"
echo 'coderun:*:19000:0:99999:7:::' >>"$root/etc/shadow"
echo 'appuser:x:1000:1000:appuser:/home/appuser:/bin/bash' >>"$root/etc/passwd"
echo 'appuser:x:1000:' >>"$root/etc/group"
echo 'appuser:*:19000:0:99999:7:::' >>"$root/etc/shadow"
mkdir -p "$root/var/lib/coderun" "$root/home/appuser"
chown 10001:10001 "$root/var/lib/coderun"
chown 1000:1000 "$root/home/appuser"

rm -rf "$root"/var/lib/apt/lists/* \
       "$root"/var/cache/apt/*.bin \
       "$root"/var/cache/apt/archives/*.deb \
       "$root"/var/cache/debconf/*-old \
       "$root"/var/lib/dpkg/*-old \
       "$root"/var/log/* \
       "$root"/usr/share/doc/* \
       "$root"/usr/share/man/* \
       "$root"/usr/share/info/* \
       "$root"/usr/share/locale/* \
       "$root"/tmp/* "$root"/var/tmp/*
: > "$root/etc/resolv.conf"
: > "$root/etc/hostname"
rm -f "$root/etc/machine-id"; : > "$root/etc/machine-id"
chmod 1777 "$root/tmp" "$root/var/tmp"
