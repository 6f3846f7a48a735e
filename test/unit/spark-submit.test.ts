import { describe, expect, test } from '@jest/globals';
import { ownershipMarks } from '../../src/domain/labels.js';
import { sparkJobNames, type SparkJobInput } from '../../src/domain/spark-job.js';
import { checkUserConf, sparkSubmitArguments } from '../../src/domain/spark-submit.js';

const input: SparkJobInput = {
  jobId: 'job-42', user: 'alice', cluster: 'local', namespace: 'dss-ns-alice', autoCreateNamespace: true,
  app: {
    image: 'apache/spark:4.0.1', mainApplicationFile: 'local:///opt/spark/examples/jars/spark-examples.jar', mainClass: 'org.apache.spark.examples.SparkPi',
    args: ['100'], conf: { 'spark.eventLog.enabled': 'false' }, driver: { cores: 1, memory: '1g' }, executor: { instances: 2, memory: '2g' },
  },
};
const target = { apiServer: 'https://127.0.0.1:6443', caCertFile: '/tmp/ca.crt', tokenFile: '/tmp/job/token' };

const confOf = (args: string[]): Record<string, string> => {
  const conf: Record<string, string> = {};
  args.forEach((arg, index) => {
    if (arg === '--conf') {
      const [key, ...value] = args[index + 1]!.split('=');
      conf[key!] = value.join('=');
    }
  });
  return conf;
};

describe('sparkJobNames', () => {
  test('derive every name from the job id, within 63 characters', () => {
    expect(sparkJobNames('job-42')).toEqual({
      workflowId: 'spark-job-job-42', serviceAccount: 'spark-job-42', roleBinding: 'spark-job-42', driverPod: 'spark-job-42-driver',
    });
    const long = sparkJobNames(`Job.${'x'.repeat(120)}`);
    for (const name of [long.serviceAccount, long.driverPod]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    }
  });
});

describe('sparkSubmitArguments', () => {
  const args = sparkSubmitArguments(input, sparkJobNames(input.jobId), target, ownershipMarks('spark-job', 'spark-job-job-42'));
  const conf = confOf(args);

  test('cluster mode against the API server, main class, application and its arguments last', () => {
    expect(args.slice(0, 8)).toEqual(['--master', 'k8s://https://127.0.0.1:6443', '--deploy-mode', 'cluster', '--name', 'job-42', '--class', 'org.apache.spark.examples.SparkPi']);
    expect(args.slice(-2)).toEqual(['local:///opt/spark/examples/jars/spark-examples.jar', '100']);
  });

  test('the temporary identity, the namespace, the deterministic driver name and no waiting', () => {
    expect(conf).toMatchObject({
      'spark.kubernetes.namespace': 'dss-ns-alice',
      'spark.kubernetes.authenticate.driver.serviceAccountName': 'spark-job-42',
      'spark.kubernetes.authenticate.submission.oauthTokenFile': '/tmp/job/token',
      'spark.kubernetes.authenticate.submission.caCertFile': '/tmp/ca.crt',
      'spark.kubernetes.driver.pod.name': 'spark-job-42-driver',
      'spark.kubernetes.submission.waitAppCompletion': 'false',
      'spark.kubernetes.container.image': 'apache/spark:4.0.1',
    });
  });

  test('the marks of DESIGN.md on driver and executors, resources and user conf passed on', () => {
    expect(conf).toMatchObject({
      'spark.kubernetes.driver.label.app.kubernetes.io/managed-by': 'compute-orchestrator',
      'spark.kubernetes.driver.label.compute-orchestrator/kind': 'spark-job',
      'spark.kubernetes.driver.annotation.compute-orchestrator/workflow-id': 'spark-job-job-42',
      'spark.kubernetes.executor.label.compute-orchestrator/owner': 'spark-job-job-42',
      'spark.driver.cores': '1', 'spark.driver.memory': '1g', 'spark.executor.instances': '2', 'spark.executor.memory': '2g',
      'spark.eventLog.enabled': 'false',
    });
  });
});

describe('checkUserConf', () => {
  test.each([
    'spark.master', 'spark.kubernetes.namespace', 'spark.kubernetes.authenticate.driver.serviceAccountName',
    'spark.kubernetes.authenticate.submission.oauthToken', 'spark.kubernetes.driver.pod.name',
    'spark.kubernetes.driver.volumes.hostPath.root.mount.path', 'spark.kubernetes.executor.podTemplateFile',
    'spark.kubernetes.driver.label.app.kubernetes.io/managed-by', 'spark.kubernetes.executor.annotation.compute-orchestrator/workflow-id',
  ])('refuses %s, naming it', (key) => {
    expect(() => checkUserConf({ [key]: 'x' })).toThrow(`app.conf.${key} is set by the orchestrator and cannot be overridden`);
  });

  test('allows ordinary settings, other labels and the simulation annotations of the local stack', () => {
    expect(() => checkUserConf({
      'spark.sql.shuffle.partitions': '8',
      'spark.kubernetes.driver.label.team': 'risk',
      'spark.kubernetes.driver.annotation.compute-orchestrator/simulate-exit-code': '3',
      'spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path': '/data',
    })).not.toThrow();
  });
});
