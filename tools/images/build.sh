#!/usr/bin/env bash
# The images recipe, run as root by tools/build-images.sh into the staging directory $1: one OCI
# archive per image and images.json, which lists each image's name and archive. A script of its
# own rather than a function, so that `set -e` holds (build_once calls its recipe inside `if`).
. "$(dirname "$0")/../lib.sh"
out=$1
images=$TOOLS_DIR/images
work=$out/work
PAUSE_IMAGE=registry.k8s.io/pause:3.10
SPARK_IMAGE=docker.io/apache/spark:$SPARK_VERSION
KERNEL_IMAGE=docker.io/compute-orchestrator/kernel-py:1
# curl: what an operator reaches for inside a driver (and the tests' probe of the job's token).
SPARK_PACKAGES=openjdk-17-jre-headless,tini,procps,curl
# debootstrap's resolver ignores virtual packages, so their providers are named: python3-zmq
# needs python3-cffi-backend's API, and gdb (ipykernel → debugpy → pydevd) an ICU regex library.
KERNEL_PACKAGES=python3,python3-ipykernel,python3-pycryptodome,python3-zmq,tini,python3-cffi-backend,libboost-regex1.74.0

# debootstrap mounts /proc inside its target and a killed run can leave it there: unmount
# whatever is below the work directory before removing it, so that rm never reaches the host's.
clean_work() {
  awk -v below="$work/" 'index($5, below) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r mount_point; do umount --lazy "$mount_point"; done
  rm -rf "$work"
}
trap clean_work EXIT

# The mirror this machine's apt already uses for the suite (deb822 .sources or one-line .list).
debian_mirror() {
  local files=() file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] && files+=("$file")
  done
  awk -v suite="$DEBIAN_SUITE" '
    FNR == 1 || /^[[:space:]]*$/ { uri = ""; found = 0 }
    /^deb[[:space:]]/ { sub(/\[[^]]*\][[:space:]]*/, ""); if ($3 == suite) { print $2; exit } }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
    uri != "" && found { print uri; exit }' "${files[@]}" /dev/null
}

pack() { # root directory, archive name, image name, config JSON
  node "$images/oci-archive.mjs" "$1" "$out/$2" "$3" "$4"
  rm -rf "$1"
}

pause_image() {
  mkdir -p "$work/pause"
  gcc -static -Os -s -Wall -Werror -o "$work/pause/pause" "$images/pause.c"
  pack "$work/pause" pause.tar "$PAUSE_IMAGE" '{"Entrypoint":["/pause"],"User":"65535:65535"}'
}

spark_image() {
  local root=$work/spark spark=$work/spark/opt/spark
  chroot "$root" groupadd --system --gid 185 spark
  chroot "$root" useradd --system --uid 185 --gid spark --home-dir /nonexistent spark
  mkdir -p "$spark/bin" "$spark/examples/jars"
  install -d -o 185 -g 185 "$spark/work-dir"
  cp -r "$CACHE_ROOT/spark/$SPARK_VERSION/jars" "$spark/jars"
  install -m 755 "$images/spark/spark-class" "$images/spark/spark-submit" "$spark/bin/"
  install -m 755 "$images/spark/entrypoint.sh" "$root/opt/entrypoint.sh"
  # Maven Central has no examples jar: SparkPi is compiled here against the image's own jars.
  mkdir "$work/classes"
  javac --release 17 -cp "$spark/jars/*" -d "$work/classes" "$images/spark/SparkPi.java"
  jar --create --file "$spark/examples/jars/spark-examples.jar" -C "$work/classes" .
  pack "$root" spark.tar "$SPARK_IMAGE" '{
    "Entrypoint": ["/opt/entrypoint.sh"],
    "Env": ["PATH=/opt/spark/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64", "SPARK_HOME=/opt/spark"],
    "User": "185", "WorkingDir": "/opt/spark/work-dir"}'
}

kernel_image() {
  local root=$work/kernel-py
  # As Jupyter's images: jovyan, uid 1000, in the users group (gid 100).
  chroot "$root" useradd --uid 1000 --gid 100 --create-home --shell /bin/bash jovyan
  # The pod runs the launcher, which speaks Enterprise Gateway's launch protocol to the gateway
  # whose address and key are in its environment, and then is the kernel.
  install -m 755 "$images/kernel/launch-kernel.py" "$root/usr/local/bin/launch-kernel"
  pack "$root" kernel-py.tar "$KERNEL_IMAGE" '{
    "Entrypoint": ["/usr/bin/tini", "--", "/usr/local/bin/launch-kernel"],
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "HOME=/home/jovyan", "LANG=C.UTF-8"],
    "User": "1000:100", "WorkingDir": "/home/jovyan"}'
}

mirror=$(debian_mirror)
[ -n "$mirror" ] || fail "no Debian mirror for '$DEBIAN_SUITE' in /etc/apt/sources.list or /etc/apt/sources.list.d/"
# Spark's jars are the spark recipe's (its lock waits for a build already under way).
"$TOOLS_DIR/build-spark.sh"
mkdir -p "$work"
# The two debootstraps mostly wait on the network and on dpkg: side by side they take little
# longer than the slower one alone. xargs, unlike `&`, leaves them in reach of Ctrl-C.
printf '%s\0' "$work/spark" "$SPARK_PACKAGES" "$work/kernel-py" "$KERNEL_PACKAGES" |
  xargs -0 -n 2 -P 2 "$images/bootstrap.sh" "$mirror"
pause_image
spark_image
kernel_image
cat >"$out/images.json" <<EOF
[
  {"name": "$PAUSE_IMAGE", "archive": "pause.tar"},
  {"name": "$SPARK_IMAGE", "archive": "spark.tar"},
  {"name": "$KERNEL_IMAGE", "archive": "kernel-py.tar"}
]
EOF
