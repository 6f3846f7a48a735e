#!/usr/bin/env bash
# The contract of Spark's Kubernetes images (Spark's kubernetes/dockerfiles/spark/entrypoint.sh):
# a driver pod runs `driver --properties-file … --class … …`, an executor pod runs `executor`
# with its settings in environment variables set by the driver; any other command runs as given.
set -euo pipefail

case "${1:-}" in
  driver)
    shift
    # The pod already is the driver that cluster mode asked for: client mode runs it here
    # rather than submitting yet another driver pod.
    exec /usr/bin/tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift
    classpath=${SPARK_CONF_DIR:-$SPARK_HOME/conf}:${HADOOP_CONF_DIR:+$HADOOP_CONF_DIR:}$SPARK_HOME/jars/*
    # Files the driver shipped with spark.files land in the working directory (SPARK-43540).
    classpath+=${SPARK_EXTRA_CLASSPATH:+:$SPARK_EXTRA_CLASSPATH}:$PWD
    # The driver numbers the executor's Java options SPARK_JAVA_OPT_0, _1, … in their order.
    java_options=()
    for ((i = 0; ; i++)); do
      option=SPARK_JAVA_OPT_$i
      [ -n "${!option+set}" ] || break
      java_options+=("${!option}")
    done
    exec /usr/bin/tini -s -- "$JAVA_HOME/bin/java" "${java_options[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" -cp "$classpath" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec "$@"
    ;;
esac
