#!/usr/bin/env bash
# spark-submit: Spark's jars from Maven Central (tools/spark/pom.xml) and a launcher for the
# machine's Java.
. "$(dirname "$0")/lib.sh"
require_command java "a Java 17 or newer runtime (Debian: 'apt-get install openjdk-17-jre-headless')"
require_command mvn "Apache Maven (Debian: 'apt-get install maven')"

recipe() {
  mvn -B -q -f "$TOOLS_DIR/spark/pom.xml" -Dspark.version="${SPARK_VERSION}" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$1/jars"
  cp "$TOOLS_DIR/spark/spark-submit" "$1/bin/spark-submit"
  mkdir -p "$1/conf"
  # Quiet by default; the activity keeps spark-submit's output for error messages.
  printf 'rootLogger.level = warn\nrootLogger.appenderRef.stderr.ref = console\nappender.console.type = Console\nappender.console.name = console\nappender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %%d{HH:mm:ss} %%p %%c{1}: %%m%%n\n' > "$1/conf/log4j2.properties"
}
build_once spark "$SPARK_VERSION" recipe
