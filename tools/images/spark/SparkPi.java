package org.apache.spark.examples;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Spark's SparkPi example, which the examples jar on Maven Central does not ship: estimates pi
 * by throwing 100,000 random points per slice at the unit square. Usage: SparkPi [slices].
 */
public final class SparkPi {
  private static final int POINTS_PER_SLICE = 100_000;

  public static void main(String[] args) {
    int slices = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    try (JavaSparkContext spark = new JavaSparkContext(new SparkConf().setAppName("Spark Pi"))) {
      // One element per slice, each slice drawing its own points: nothing large to ship.
      List<Integer> sliceIds = IntStream.range(0, slices).boxed().collect(Collectors.toList());
      long inside = spark.parallelize(sliceIds, slices).map(id -> countInside()).reduce(Long::sum);
      System.out.println("Pi is roughly " + 4.0 * inside / ((long) slices * POINTS_PER_SLICE));
    }
  }

  private static long countInside() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long inside = 0;
    for (int i = 0; i < POINTS_PER_SLICE; i++) {
      double x = random.nextDouble() * 2 - 1;
      double y = random.nextDouble() * 2 - 1;
      if (x * x + y * y <= 1) {
        inside++;
      }
    }
    return inside;
  }
}
