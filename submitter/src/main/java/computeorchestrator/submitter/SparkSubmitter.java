package computeorchestrator.submitter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

/**
 * Spark's cluster-mode submission in one long-lived JVM, for the worker that starts it: the JVM
 * start and class loading that a spark-submit process pays for each job are paid once.
 *
 * Listens on loopback only (an ephemeral port, printed as the first line on stdout) and ends when
 * its stdin closes, so it never outlives the worker. POST /submissions takes spark-submit's own
 * arguments as JSON ({"args": [...]}); the job's credentials are files named by those arguments,
 * readable by this host's worker alone, and never pass through here. Every request must carry the
 * key the worker gave in SPARK_SUBMITTER_KEY: another process of the host that reaches loopback
 * could otherwise have files of the worker's (its own credentials) used as a job's token.
 */
public final class SparkSubmitter {
  private static final ObjectMapper json = new ObjectMapper();
  private static byte[] key = new byte[0];

  private SparkSubmitter() {}

  public static void main(String[] argv) throws IOException {
    int threads = Integer.parseInt(System.getenv().getOrDefault("SPARK_SUBMITTER_THREADS", "4"));
    String given = System.getenv("SPARK_SUBMITTER_KEY");
    if (given == null || given.length() < 32) {
      System.err.println("SPARK_SUBMITTER_KEY must hold the key of at least 32 characters that requests will carry");
      System.exit(2);
    }
    key = ("Bearer " + given).getBytes(StandardCharsets.UTF_8);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    server.createContext("/healthz", exchange -> answer(exchange, 200, json.createObjectNode().put("status", "ok")));
    server.createContext("/submissions", SparkSubmitter::submission);
    server.setExecutor(Executors.newFixedThreadPool(threads));
    server.start();
    System.out.println("listening on 127.0.0.1:" + server.getAddress().getPort());
    System.out.flush();
    while (System.in.read() != -1) {
      // Nothing is read from stdin: its end is the worker's.
    }
    System.exit(0);
  }

  private static void submission(HttpExchange exchange) throws IOException {
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization == null || !MessageDigest.isEqual(key, authorization.getBytes(StandardCharsets.UTF_8))) {
      answer(exchange, 401, error("a request must carry the submitter's key"));
      return;
    }
    if (!"POST".equals(exchange.getRequestMethod())) {
      answer(exchange, 405, error("POST only"));
      return;
    }
    List<String> args = new ArrayList<>();
    try {
      JsonNode body = json.readTree(exchange.getRequestBody());
      JsonNode list = body == null ? null : body.get("args");
      if (list == null || !list.isArray()) throw new IllegalArgumentException("args must be an array of strings");
      for (JsonNode arg : list) {
        if (!arg.isTextual()) throw new IllegalArgumentException("args must be an array of strings");
        args.add(arg.asText());
      }
    } catch (IOException | IllegalArgumentException problem) {
      answer(exchange, 400, error(problem.getMessage()));
      return;
    }
    long started = System.nanoTime();
    try {
      DriverSubmission.Created created = DriverSubmission.submit(args);
      ObjectNode answer = json.createObjectNode()
          .put("namespace", created.namespace())
          .put("driverPod", created.driverPod())
          .put("configMap", created.configMap())
          .put("millis", (System.nanoTime() - started) / 1_000_000);
      created.resources().forEach(answer.putArray("resources")::add);
      answer(exchange, 201, answer);
    } catch (Throwable failure) {
      // Spark's own refusals and the API server's answers, as spark-submit would print them.
      answer(exchange, 422, error(describe(failure)));
    }
  }

  /** The failure and its causes, one line each, as a stack trace's headings read. */
  private static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (text.length() > 0) text.append("\nCaused by: ");
      text.append(cause);
    }
    return text.toString();
  }

  private static ObjectNode error(String message) {
    return json.createObjectNode().put("error", message == null ? "" : message);
  }

  private static void answer(HttpExchange exchange, int status, JsonNode body) throws IOException {
    byte[] bytes = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }
}
