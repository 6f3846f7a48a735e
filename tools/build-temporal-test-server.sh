#!/usr/bin/env bash
# Temporal's time-skipping test server (the workflow unit tests) from the Java SDK's
# io.temporal:temporal-test-server on Maven Central, in place of the native build the testing
# package would download from GitHub. Its own main listens on every interface, so a small main of
# ours serves the same services on loopback only; bin/temporal-test-server takes the arguments the
# testing package passes to a test server: `<port> [--enable-time-skipping]`.
. "$(dirname "$0")/lib.sh"
require_command java "a Java 17 or newer runtime (Debian: 'apt-get install openjdk-17-jre-headless')"
require_command javac "a Java 17 or newer JDK (Debian: 'apt-get install openjdk-17-jdk-headless')"
require_command mvn "Apache Maven (Debian: 'apt-get install maven')"

# build_once runs the recipe as an if's condition, where bash ignores set -e: each step that can
# fail returns at once.
recipe() {
  cat >"$1/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>compute-orchestrator.tools</groupId>
  <artifactId>temporal-test-server</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEMPORAL_TEST_SERVER_VERSION</version>
    </dependency>
  </dependencies>
</project>
POM
  mvn -B -q -f "$1/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$1/lib" || return
  # The no-op binding for the slf4j-api the SDK brings keeps SLF4J's warning about a missing
  # binding out of the tests' output.
  local slf4j
  slf4j=$(basename "$1"/lib/slf4j-api-*.jar .jar) || return
  mvn -B -q -f "$1/pom.xml" dependency:copy -Dartifact="org.slf4j:slf4j-nop:${slf4j#slf4j-api-}" -DoutputDirectory="$1/lib" || return

  mkdir -p "$1/src"
  cat >"$1/src/LoopbackTestServer.java" <<'JAVA'
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** io.temporal.testserver.TestServer's services and arguments, bound to loopback. */
public final class LoopbackTestServer {
  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2 || args.length == 2 && !args[1].equals("--enable-time-skipping")) {
      System.err.println("usage: temporal-test-server <port> [--enable-time-skipping]");
      System.exit(2);
    }
    // As TestServer does: time skipping starts locked unless asked for.
    TestServicesStarter services = new TestServicesStarter(args.length == 1, 0);
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[0]));
    // Temporal's clients ping every 30 s, idle or not, as the real server allows; gRPC's default
    // (one in 5 minutes, and none without a call) would answer them with GOAWAY.
    NettyServerBuilder builder = NettyServerBuilder.forAddress(address, InsecureServerCredentials.create())
        .permitKeepAliveTime(10, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true);
    GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
    Server server = builder.build().start();
    // The test process stops the server with SIGKILL; a test process that dies first takes it along.
    ProcessHandle.current().parent().ifPresent((parent) -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(0)));
    server.awaitTermination();
  }
}
JAVA
  javac --release 17 -cp "$1/lib/*" -d "$1/classes" "$1/src/LoopbackTestServer.java" || return

  # exec: the process the testing package starts, and kills, is the JVM itself.
  cat >"$1/bin/temporal-test-server" <<'LAUNCHER'
#!/usr/bin/env bash
set -euo pipefail
home=$(cd "$(dirname "$0")/.." && pwd)
exec java -cp "$home/classes:$home/lib/*" LoopbackTestServer "$@"
LAUNCHER
  chmod +x "$1/bin/temporal-test-server"
}
build_once temporal-test-server "$TEMPORAL_TEST_SERVER_VERSION" recipe
