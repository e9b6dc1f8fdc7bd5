# shellcheck shell=bash
# coderun fleet images — sourceable library (after lib/base.sh), used by infra/scripts/fleet-images.sh.
#
#   coderun/jvm-base:25-<key>   Debian bookworm minbase (debootstrap from the apt mirror) + a jlink'ed runtime of
#                               the host's Temurin 25 at /opt/java; users coderun (10001) and appuser (1000)
#   coderun/gateway:<key>       the services, each its exec jar split into Spring Boot's layers on that base
#   coderun/scheduler:<key>
#   coderun/worker:<key>
#   coderun/infra:<key>         infra's exec jar: topic provisioning (TopicsMain) for compose and Kubernetes
#   coderun/kafka:<ver>-<key>   an apache/kafka-compatible broker: Maven Central's Kafka jars (as resolved for infra)
#
# Every tag is a content hash of the image's inputs: for a service, the CRC of every entry of its exec jar (the
# entries of the nested -SNAPSHOT jars, whose own bytes carry build timestamps, are listed one by one), the Dockerfile
# and the base tag. An image whose tag is present is reused, so a second run only hashes the jars (a few seconds) and
# CI rebuilds an image only when its jar's content changed. The debootstrap+JRE rootfs is cached as
# $CODERUN_CACHE_DIR/jvm-base-<key>.tar.
#
# Images stay in the local engine (Testcontainers and compose use them there); CODERUN_FLEET_PUSH=1 also pushes them
# to the local registry ($CODERUN_REGISTRY_ADDR) as a cluster would pull them. The chosen tags are written to
# $CODERUN_STATE_DIR/fleet-images.env (CODERUN_<NAME>_IMAGE=...), which compose and the tests read.

CODERUN_REPO_DIR=$(cd "$CODERUN_INFRA_DIR/.." && pwd)
CODERUN_FLEET_JAVA_HOME=${CODERUN_FLEET_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
CODERUN_FLEET_SUITE=bookworm
# What Spring Boot, Netty, Kafka and the JDK's management/JFR tooling use; java.se is the whole Java SE API.
CODERUN_FLEET_JRE_MODULES=java.se,jdk.unsupported,jdk.management,jdk.management.jfr,jdk.jfr,jdk.crypto.ec,\
jdk.naming.dns,jdk.zipfs,jdk.net,jdk.charsets,jdk.localedata,jdk.security.auth,jdk.security.jgss,jdk.httpserver,\
jdk.jcmd
CODERUN_FLEET_ENV=${CODERUN_FLEET_ENV:-$CODERUN_STATE_DIR/fleet-images.env}

declare -gA CODERUN_FLEET_IMAGES=()

_fleet_hash() { sha256sum | cut -c1-12; }

# jlink output is cached next to the rootfs; the key covers the JDK's exact version and the module list.
_fleet_base_key() {
  [[ -x $CODERUN_FLEET_JAVA_HOME/bin/jlink ]] ||
    { die "no jlink at $CODERUN_FLEET_JAVA_HOME (Temurin 25 JDK)"; return 1; }
  {
    echo "$CODERUN_FLEET_SUITE minbase"
    cat "$CODERUN_FLEET_JAVA_HOME/release"
    echo "$CODERUN_FLEET_JRE_MODULES"
    cat "$CODERUN_IMAGES_DIR/jvm/customize-rootfs.sh"
    sed -n '/^_fleet_import_base()/,/^}/p' "${BASH_SOURCE[0]}" | grep -- '--change'
  } | _fleet_hash
}

_fleet_image_present() { docker image inspect "$1" >/dev/null 2>&1; }

_fleet_rootfs_tar() {  # KEY: prints the cached rootfs tarball, building it if needed
  local key=$1 tar=$CODERUN_CACHE_DIR/jvm-base-$1.tar
  if [[ -s $tar ]]; then echo "$tar"; return 0; fi
  local mirror; mirror=$(_debian_mirror "$CODERUN_FLEET_SUITE") ||
    { die "no apt source for $CODERUN_FLEET_SUITE; set CODERUN_DEBIAN_MIRROR"; return 1; }
  local root=$CODERUN_CACHE_DIR/jvm-rootfs.tmp jre=$CODERUN_CACHE_DIR/jvm-jre.tmp
  _safe_rmtree "$root"; rm -rf "$jre"; mkdir -p "$root"
  log "debootstrap --variant=minbase $CODERUN_FLEET_SUITE from $mirror (log: $CODERUN_LOG_DIR/debootstrap.log)"
  debootstrap --variant=minbase "$CODERUN_FLEET_SUITE" "$root" "$mirror" >>"$CODERUN_LOG_DIR/debootstrap.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/debootstrap.log" 20; _safe_rmtree "$root"; die "debootstrap failed"; return 1; }
  if awk -v d="$root" 'index($2, d "/") == 1 {f=1} END {exit !f}' /proc/self/mounts; then
    _safe_rmtree "$root"; die "mounts left under $root after debootstrap"; return 1
  fi
  log "jlink $CODERUN_FLEET_JRE_MODULES"
  "$CODERUN_FLEET_JAVA_HOME/bin/jlink" --add-modules "$CODERUN_FLEET_JRE_MODULES" --strip-debug --no-man-pages \
      --no-header-files --compress=zip-6 --output "$jre" >>"$CODERUN_LOG_DIR/images.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/images.log" 10; _safe_rmtree "$root"; die "jlink failed"; return 1; }
  bash "$CODERUN_IMAGES_DIR/jvm/customize-rootfs.sh" "$root" "$jre" >>"$CODERUN_LOG_DIR/debootstrap.log" 2>&1 ||
    { _safe_rmtree "$root"; rm -rf "$jre"; die "jvm/customize-rootfs.sh failed"; return 1; }
  tar --numeric-owner --xattrs -C "$root" -cf "$tar.partial" . ||
    { rm -f "$tar.partial"; _safe_rmtree "$root"; rm -rf "$jre"; die "tar of rootfs failed"; return 1; }
  mv -f "$tar.partial" "$tar"
  _safe_rmtree "$root"; rm -rf "$jre"
  find "$CODERUN_CACHE_DIR" -maxdepth 1 -name 'jvm-base-*.tar' ! -name "$(basename "$tar")" -delete
  echo "$tar"
}

_fleet_import_base() {  # REF TAR
  docker import \
    --change 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV JAVA_HOME=/opt/java' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$1" <"$2" >>"$CODERUN_LOG_DIR/images.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/images.log" 10; die "docker import $1 failed"; return 1; }
}

fleet_base_image() {  # prints the base image reference
  local key ref tar
  key=$(_fleet_base_key) || return 1
  ref=coderun/jvm-base:25-$key
  if ! _fleet_image_present "$ref"; then
    tar=$(_fleet_rootfs_tar "$key") || return 1
    log "importing $tar as $ref"
    _fleet_import_base "$ref" "$tar" || return 1
    log "built $ref"
  fi
  echo "$ref"
}

# Content listing of a jar: CRC and name of each entry, with each nested *-SNAPSHOT.jar replaced by its own listing.
_fleet_jar_listing() {  # JAR
  local jar=$1 tmp nested
  unzip -v "$jar" | awk 'NF >= 8 && length($7) == 8 && $7 ~ /^[0-9a-f]+$/ { print $7, $8 }' |
    grep -v -- '-SNAPSHOT\.jar$'
  tmp=$(mktemp -d "$CODERUN_CACHE_DIR/jar.XXXXXX")
  while read -r nested; do
    unzip -q -o "$jar" "$nested" -d "$tmp"
    echo "== $nested"
    unzip -v "$tmp/$nested" | awk 'NF >= 8 && length($7) == 8 && $7 ~ /^[0-9a-f]+$/ { print $7, $8 }'
  done < <(unzip -Z1 "$jar" | grep -- '-SNAPSHOT\.jar$')
  rm -rf "$tmp"
}

# Builds the exec jars (tests skipped) when one is missing or older than its sources, as bin/coderun does.
fleet_jars() {
  local stale=0 m jar
  for m in infra api-gateway scheduler worker; do
    jar=$(compgen -G "$CODERUN_REPO_DIR/$m/target/$m-*-exec.jar" | head -1 || true)
    if [[ -z $jar ]] || [[ -n $(find "$CODERUN_REPO_DIR/$m/src/main" "$CODERUN_REPO_DIR/common-events/src/main" \
        "$CODERUN_REPO_DIR/observability/src/main" \
        "$CODERUN_REPO_DIR/$m/pom.xml" -newer "$jar" -type f -print -quit) ]]; then
      stale=1
    fi
  done
  ((stale)) || return 0
  log "building the exec jars (./mvnw package, tests skipped; log: $CODERUN_LOG_DIR/fleet-build.log)"
  (cd "$CODERUN_REPO_DIR" && JAVA_HOME=$CODERUN_FLEET_JAVA_HOME ./mvnw -B -q ${CODERUN_MVN_OFFLINE:+-o} -DskipTests \
      package -pl infra,api-gateway,scheduler,worker -am) >"$CODERUN_LOG_DIR/fleet-build.log" 2>&1 ||
    { _log_tail "$CODERUN_LOG_DIR/fleet-build.log" 30; die "build failed"; return 1; }
}

# Spring Boot's layer tools split an application's jar into its layers; a jar without Spring (infra's broker and topic
# tools) cannot run them and goes whole into the application layer.
_fleet_extract() {  # JAR DIR
  if unzip -Z1 "$1" | grep -q '^BOOT-INF/lib/spring-core-'; then
    "$CODERUN_FLEET_JAVA_HOME/bin/java" -Djarmode=tools -jar "$1" extract --layers --destination "$2" \
      --application-filename app.jar --force >>"$CODERUN_LOG_DIR/images.log" 2>&1
  else
    mkdir -p "$2/application" && cp "$1" "$2/application/app.jar"
  fi
}

fleet_service_image() {  # NAME MODULE BASE: prints the image reference
  local name=$1 module=$2 base=$3 jar key ref ctx
  jar=$(compgen -G "$CODERUN_REPO_DIR/$module/target/$module-*-exec.jar" | head -1 || true)
  [[ -n $jar ]] || { die "no exec jar for $module (run fleet_jars)"; return 1; }
  key=$({ _fleet_jar_listing "$jar"; cat "$CODERUN_IMAGES_DIR/service/Dockerfile"; echo "$base"; } | _fleet_hash) ||
    return 1
  ref=coderun/$name:$key
  if _fleet_image_present "$ref"; then echo "$ref"; return 0; fi
  ctx=$(mktemp -d "$CODERUN_CACHE_DIR/$name-ctx.XXXXXX")
  log "building $ref from $(basename "$jar")"
  if ! { _fleet_extract "$jar" "$ctx" &&
         mkdir -p "$ctx"/{dependencies,spring-boot-loader,snapshot-dependencies,application} &&
         cp "$CODERUN_IMAGES_DIR/service/Dockerfile" "$ctx/Dockerfile" &&
         docker build -q --build-arg "BASE=$base" --label "org.coderun.inputs=$key" -t "$ref" "$ctx" \
           >>"$CODERUN_LOG_DIR/images.log" 2>&1; }; then
    rm -rf "$ctx"; _log_tail "$CODERUN_LOG_DIR/images.log" 20; die "building $ref failed"; return 1
  fi
  rm -rf "$ctx"
  log "built $ref"
  echo "$ref"
}

fleet_kafka_image() {  # BASE: prints the image reference
  local base=$1 jar version key ref ctx
  jar=$(compgen -G "$CODERUN_REPO_DIR/infra/target/infra-*-exec.jar" | head -1 || true)
  [[ -n $jar ]] || { die "no exec jar for infra (run fleet_jars)"; return 1; }
  version=$(unzip -Z1 "$jar" | sed -n 's|^BOOT-INF/lib/kafka_2\.13-\(.*\)\.jar$|\1|p')
  [[ -n $version ]] || { die "no kafka_2.13 jar in $jar"; return 1; }
  # Maven Central's jars are the same bytes on every build: their CRCs are the content key.
  key=$({ unzip -v "$jar" | awk 'NF >= 8 && $8 ~ /^BOOT-INF\/lib\/.*\.jar$/ { print $7, $8 }' |
          grep -v -e '-SNAPSHOT\.jar$' -e 'spring-boot-jarmode'
        (cd "$CODERUN_IMAGES_DIR/kafka" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
        echo "$base"; } | _fleet_hash) || return 1
  ref=coderun/kafka:$version-$key
  if _fleet_image_present "$ref"; then echo "$ref"; return 0; fi
  ctx=$(mktemp -d "$CODERUN_CACHE_DIR/kafka-ctx.XXXXXX")
  log "building $ref"
  if ! { cp -a "$CODERUN_IMAGES_DIR/kafka/." "$ctx/" && mkdir -p "$ctx/libs" &&
         unzip -q -j "$jar" 'BOOT-INF/lib/*.jar' -x '*-SNAPSHOT.jar' 'BOOT-INF/lib/spring-boot-jarmode*' \
           -d "$ctx/libs" &&
         docker build -q --build-arg "BASE=$base" --label "org.coderun.inputs=$key" -t "$ref" "$ctx" \
           >>"$CODERUN_LOG_DIR/images.log" 2>&1; }; then
    rm -rf "$ctx"; _log_tail "$CODERUN_LOG_DIR/images.log" 20; die "building $ref failed"; return 1
  fi
  rm -rf "$ctx"
  log "built $ref"
  echo "$ref"
}

# Builds (or reuses) every fleet image and writes $CODERUN_FLEET_ENV.
ensure_fleet_images() {
  _base_dirs
  _docker_up || { die "docker is not up (run infra/scripts/base-services.sh)"; return 1; }
  fleet_jars || return 1
  local base name ref
  base=$(fleet_base_image) || return 1
  CODERUN_FLEET_IMAGES[kafka]=$(fleet_kafka_image "$base") || return 1
  CODERUN_FLEET_IMAGES[gateway]=$(fleet_service_image gateway api-gateway "$base") || return 1
  CODERUN_FLEET_IMAGES[scheduler]=$(fleet_service_image scheduler scheduler "$base") || return 1
  CODERUN_FLEET_IMAGES[worker]=$(fleet_service_image worker worker "$base") || return 1
  CODERUN_FLEET_IMAGES[infra]=$(fleet_service_image infra infra "$base") || return 1
  local tmp; tmp=$(mktemp "$CODERUN_FLEET_ENV.XXXXXX")
  for name in kafka gateway scheduler worker infra; do
    ref=${CODERUN_FLEET_IMAGES[$name]}
    printf 'CODERUN_%s_IMAGE=%s\n' "${name^^}" "$ref" >>"$tmp"
    if [[ ${CODERUN_FLEET_PUSH:-0} == 1 ]]; then
      docker tag "$ref" "$CODERUN_REGISTRY_ADDR/$ref" && _push "$CODERUN_REGISTRY_ADDR/$ref" || return 1
    fi
  done
  mv -f "$tmp" "$CODERUN_FLEET_ENV"
  _summary "fleet: images in $CODERUN_FLEET_ENV"
  for name in kafka gateway scheduler worker infra; do
    _summary "  ${CODERUN_FLEET_IMAGES[$name]} ($(docker image inspect -f '{{.Size}}' "${CODERUN_FLEET_IMAGES[$name]}" |
      awk '{printf "%.0f MB", $1 / 1e6}'))"
  done
}
