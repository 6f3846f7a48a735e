package computeorchestrator.submitter;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.deploy.SparkSubmit;
import org.apache.spark.deploy.SparkSubmitArguments;
import org.apache.spark.deploy.k8s.Config$;
import org.apache.spark.deploy.k8s.Constants$;
import org.apache.spark.deploy.k8s.KubernetesConf$;
import org.apache.spark.deploy.k8s.KubernetesDriverConf;
import org.apache.spark.deploy.k8s.KubernetesDriverSpec;
import org.apache.spark.deploy.k8s.KubernetesUtils$;
import org.apache.spark.deploy.k8s.SparkKubernetesClientFactory;
import org.apache.spark.deploy.k8s.SparkKubernetesClientFactory$;
import org.apache.spark.deploy.k8s.submit.ClientArguments;
import org.apache.spark.deploy.k8s.submit.KubernetesClientUtils$;
import org.apache.spark.deploy.k8s.submit.KubernetesDriverBuilder;
import scala.Option;
import scala.Tuple4;
import scala.collection.immutable.Map;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * One cluster-mode submission, made with Spark's own code: spark-submit's argument parsing and
 * environment preparation (SparkSubmit), then what Spark's Client.run does with the driver spec
 * that KubernetesDriverBuilder builds. Client.run itself cannot be used in a long-lived process:
 * the name of the driver's config map is fixed once per JVM (KubernetesClientUtils.configMapNameDriver),
 * so a second job in the same namespace would apply over the first one's config map and take
 * its owner. Here each submission draws its own name with Spark's generator.
 */
final class DriverSubmission {
  /** What a submission created, by name. */
  record Created(String namespace, String driverPod, String configMap, List<String> resources) {}

  private DriverSubmission() {}

  static Created submit(List<String> sparkSubmitArgs) {
    SparkSubmitArguments arguments = new SparkSubmitArguments(
        CollectionConverters.asScala(sparkSubmitArgs).toList(),
        toScala(System.getenv()));
    if (!"cluster".equals(arguments.deployMode()) || !arguments.master().startsWith("k8s://")) {
      throw new IllegalArgumentException("the submitter makes cluster-mode submissions to Kubernetes only");
    }
    Tuple4<Seq<String>, Seq<String>, SparkConf, String> prepared =
        new SparkSubmit().prepareSubmitEnvironment(arguments, Option.empty());
    ClientArguments client = ClientArguments.fromCommandLineArgs(
        CollectionConverters.asJava(prepared._1()).toArray(new String[0]));
    SparkConf sparkConf = prepared._3();

    KubernetesDriverConf conf = KubernetesConf$.MODULE$.createDriverConf(
        sparkConf, KubernetesConf$.MODULE$.getKubernetesAppId(), client.mainAppResource(),
        client.mainClass(), client.driverArgs(), client.proxyUser());
    String master = KubernetesUtils$.MODULE$.parseMasterUrl(sparkConf.get("spark.master"));
    try (KubernetesClient kubernetes = SparkKubernetesClientFactory$.MODULE$.createKubernetesClient(
        master, Option.apply(conf.namespace()), Config$.MODULE$.KUBERNETES_AUTH_SUBMISSION_CONF_PREFIX(),
        SparkKubernetesClientFactory.ClientType$.MODULE$.Submission(), sparkConf, Option.empty())) {
      return create(conf, kubernetes);
    }
  }

  private static Map<String, String> toScala(java.util.Map<String, String> map) {
    return scala.collection.immutable.Map$.MODULE$.from(CollectionConverters.asScala(map));
  }

  /** Client.run of Spark 4.0.1 without its wait for the application, with a config map name of its own. */
  private static Created create(KubernetesDriverConf conf, KubernetesClient kubernetes) {
    KubernetesDriverSpec spec = new KubernetesDriverBuilder().buildFromFeatures(conf, kubernetes);
    KubernetesClientUtils$ clientUtils = KubernetesClientUtils$.MODULE$;
    Constants$ constants = Constants$.MODULE$;
    String configMapName = clientUtils.configMapName("spark-drv-" + KubernetesUtils$.MODULE$.uniqueID(KubernetesUtils$.MODULE$.uniqueID$default$1()));
    Map<String, String> confFiles = clientUtils.buildSparkConfDirFilesMap(configMapName, conf.sparkConf(), spec.systemProperties());
    java.util.Map<String, String> configMapData = new HashMap<>(CollectionConverters.asJava(confFiles));
    configMapData.put(Config$.MODULE$.KUBERNETES_NAMESPACE().key(), conf.namespace());
    ConfigMap configMap = clientUtils.buildConfigMap(configMapName, toScala(configMapData), clientUtils.buildConfigMap$default$3());
    Container driverContainer = new ContainerBuilder(spec.pod().container())
        .addNewEnv().withName(constants.ENV_SPARK_CONF_DIR()).withValue(constants.SPARK_CONF_DIR_INTERNAL()).endEnv()
        .addNewVolumeMount().withName(constants.SPARK_CONF_VOLUME_DRIVER()).withMountPath(constants.SPARK_CONF_DIR_INTERNAL()).endVolumeMount()
        .build();
    Pod driverPod = new PodBuilder(spec.pod().pod())
        .editSpec()
          .addToContainers(driverContainer)
          .addNewVolume()
            .withName(constants.SPARK_CONF_VOLUME_DRIVER())
            .withNewConfigMap()
              .withItems(CollectionConverters.asJava(clientUtils.buildKeyToPathObjects(confFiles)))
              .withName(configMapName)
            .endConfigMap()
          .endVolume()
        .endSpec()
        .build();

    List<HasMetadata> before = CollectionConverters.asJava(spec.driverPreKubernetesResources());
    if (!before.isEmpty()) kubernetes.resourceList(before).forceConflicts().serverSideApply();
    Pod created;
    try {
      created = kubernetes.pods().inNamespace(conf.namespace()).resource(driverPod).create();
    } catch (RuntimeException error) {
      if (!before.isEmpty()) kubernetes.resourceList(before).delete();
      throw error;
    }
    List<HasMetadata> after = new ArrayList<>(CollectionConverters.asJava(spec.driverKubernetesResources()));
    after.add(configMap);
    try {
      if (!before.isEmpty()) {
        KubernetesUtils$.MODULE$.addOwnerReference(created, spec.driverPreKubernetesResources());
        kubernetes.resourceList(before).forceConflicts().serverSideApply();
      }
      KubernetesUtils$.MODULE$.addOwnerReference(created, CollectionConverters.asScala(after).toList());
      kubernetes.resourceList(after).forceConflicts().serverSideApply();
    } catch (RuntimeException error) {
      // As Spark does: a driver without its config map or service cannot start, so it goes (and
      // with it, by owner reference, whatever was made for it).
      kubernetes.pods().resource(created).delete();
      throw error;
    }
    List<String> names = new ArrayList<>();
    for (HasMetadata resource : after) names.add(resource.getKind() + "/" + resource.getMetadata().getName());
    return new Created(conf.namespace(), created.getMetadata().getName(), configMapName, names);
  }
}
