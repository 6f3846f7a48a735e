#!/usr/bin/env bash
# The Spark submitter (submitter/): compiled against the Spark jars of tools/build-spark.sh, with
# a launcher that runs it on those jars. Keyed by SPARK_SUBMITTER_VERSION: bump it with any
# change under submitter/.
. "$(dirname "$0")/lib.sh"
require_command javac "a Java 17 or newer JDK (Debian: 'apt-get install openjdk-17-jdk-headless')"
require_command jar "a Java 17 or newer JDK (Debian: 'apt-get install openjdk-17-jdk-headless')"
"$TOOLS_DIR/build-spark.sh"
SPARK_HOME_DIR="$CACHE_ROOT/spark/$SPARK_VERSION"
SOURCES="$TOOLS_DIR/../submitter/src/main/java"

recipe() {
  mkdir -p "$1/classes" "$1/lib"
  find "$SOURCES" -name '*.java' -print0 | xargs -0 javac --release 17 -Xlint:all -Werror \
    -cp "$SPARK_HOME_DIR/jars/*" -d "$1/classes"
  jar --create --file "$1/lib/spark-submitter.jar" -C "$1/classes" .
  rm -rf "$1/classes"
  sed "s|@SPARK_HOME@|$SPARK_HOME_DIR|" "$TOOLS_DIR/spark/spark-submitter" > "$1/bin/spark-submitter"
  chmod +x "$1/bin/spark-submitter"
}
build_once spark-submitter "$SPARK_SUBMITTER_VERSION" recipe
