import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api, type V1ObjectMeta } from '@kubernetes/client-node';
import { WorkflowNotFoundError } from '@temporalio/client';
import { openapiDocumentFile } from '../../src/api/openapi-document.js';
import { defaultKernelSpecs } from '../../src/domain/kernel-specs.js';
import { managedByLabel, managedByValue, workflowIdAnnotation } from '../../src/domain/labels.js';
import { watchTaskQueue } from '../../src/domain/task-queues.js';
import { registerNamespace } from '../../src/local/temporal-namespace.js';
import { adminKubeConfig, eventually, uniqueName } from './stack/kube.js';
import { callApi } from './stack/http.js';
import { startOrchestrator, testToken, type Orchestrator } from './stack/orchestrator.js';
import { writeKernelSpecs } from './stack/simulated-kernels.js';
import { sparkPiJob } from './stack/spark-pi.js';
import { pinnedVersion, pythonVenvProgram } from './stack/python-tools.js';
import { stackEnv, testStateDir } from './stack/stack-info.js';

/**
 * Schemathesis against the real API (a real worker behind it, on the shared stack), generating
 * requests from the committed OpenAPI document: no 5xx, every answer as the document says (status,
 * content type, schema, headers), invalid input refused with a 4xx, undeclared methods 405, no
 * route that ignores its token. Operations that would start work get invalid requests only, and
 * nothing may have been started or created afterwards.
 */

function schemathesisBinary(): string {
  const binary = pythonVenvProgram('schemathesis', pinnedVersion('SCHEMATHESIS_VERSION'), 'schemathesis');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run 'bash tools/build-all.sh'`);
  return binary;
}

/** Read-only, or pure (the codec): fuzzed with valid requests as well as invalid ones. Every other operation gets invalid requests only. */
const positiveOperations = ['GET', 'HEAD'];
const pureOperationIds = ['encodePayloads', 'decodePayloads'];
/** A sweep has no input to make invalid, deletes on the whole shared cluster and starts a workflow: not fuzzed. */
const excludedOperationIds = ['runJanitor'];

// Fixed, so that a run repeats the last one; the examples per operation keep the run near a minute on
// 2 cores. One Schemathesis worker: with two, the same seed sends requests in another order, and
// Hypothesis' caches, shared between its threads, once failed a run from inside the generator.
// API_FUZZ_SEED and API_FUZZ_MAX_EXAMPLES explore further, by hand: `npm test` keeps these.
const seed = Number(process.env.API_FUZZ_SEED || 17);
const maxExamples = Number(process.env.API_FUZZ_MAX_EXAMPLES || 50);

/** What exists before the fuzzer starts, made through another API on a task queue of its own, so that reads find something. */
interface Seeded {
  user: string;
  kernelId: string;
  jobId: string;
  kernelSpec: string;
}

function configToml(seeded: Seeded): string {
  const list = (items: string[]) => `[${items.map((item) => JSON.stringify(item)).join(', ')}]`;
  const dictionary = (value: string) => `{ values = ${list([value])} }`;
  // Half the reads name what exists, the other half what does not.
  const bound = (name: string) => `{ dictionary = "${name}", probability = 0.5 }`;
  return `# Written by test/integration/api-fuzz.test.ts.
[generation]
# The token is set on every request (--header): negating the Authorization header it then overwrites
# would send valid requests to operations that must see invalid ones only.
with-security-parameters = false
# Nothing remembered between runs: the seed alone decides what is sent.
database = "none"

[checks.negative_data_rejection]
# Schemathesis' list, and 413: a body over the size limit is refused too.
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

[phases.stateful]
# Chains a create to the reads of what it created: it would start work.
enabled = false

[dictionaries]
users = ${dictionary(seeded.user)}
kernels = ${dictionary(seeded.kernelId)}
jobs = ${dictionary(seeded.jobId)}
kernelSpecs = ${dictionary(seeded.kernelSpec)}
clusters = ${dictionary('local')}

[[operations]]
exclude-method = ${list(positiveOperations)}
exclude-operation-id = ${list(pureOperationIds)}
generation.mode = "negative"
# Values captured from earlier answers (the cluster "local", say) fill the examples phase's requests
# and may stand in for what was made invalid: either would send a valid request.
phases.examples.enabled = false
phases.coverage.extra-data-sources.responses = false
phases.fuzzing.extra-data-sources.responses = false

[[operations]]
include-operation-id = ["listKernels", "listSparkJobs"]
parameters."query.user" = ${bound('users')}

[[operations]]
include-operation-id = ["getKernel", "getKernelProgress", "jupyterGetKernel"]
parameters."path.kernelId" = ${bound('kernels')}

[[operations]]
include-operation-id = ["getSparkJob", "getSparkJobLog"]
parameters."path.jobId" = ${bound('jobs')}

[[operations]]
include-operation-id = ["getCluster", "getClusterKubeconfig"]
parameters."path.name" = ${bound('clusters')}

[[operations]]
include-operation-id = ["jupyterGetKernelSpec", "jupyterGetKernelSpecResource"]
parameters."path.name" = ${bound('kernelSpecs')}
`;
}

interface Finding {
  operation: string;
  kind: 'failure' | 'error';
  text: string;
}

const unescapeXml = (text: string): string => text.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name]!);

/** The operations a JUnit report names, and each failure (a check that did not hold) or error (a request that could not be made) under them. */
function parseJunit(xml: string): { operations: string[]; findings: Finding[] } {
  const operations: string[] = [];
  const findings: Finding[] = [];
  for (const [, name, body] of xml.matchAll(/<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const operation = unescapeXml(name!);
    operations.push(operation);
    for (const [, kind, text] of (body ?? '').matchAll(/<(failure|error)\b[^>]*?(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
      findings.push({ operation, kind: kind as Finding['kind'], text: unescapeXml(text ?? '') });
    }
  }
  return { operations, findings };
}

/** A finding told in a few lines: the operation, each check that failed with why, and how to repeat it. */
function describeFinding({ operation, kind, text }: Finding): string {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  const told = lines.filter((line, index) => /^- ST\d+/.test(line) || /^\[\d{3}\]/.test(line) || /^curl /.test(line) || (index > 0 && /^- ST\d+/.test(lines[index - 1]!)));
  // A fuzzed body can be a megabyte.
  const short = (line: string) => (line.length > 400 ? `${line.slice(0, 400)}…` : line);
  return `${operation} (${kind}):\n    ${(told.length > 0 ? told : lines.slice(0, 6)).map(short).join('\n    ')}`;
}

const admin = adminKubeConfig();
const core = admin.makeApiClient(CoreV1Api);
const rbac = admin.makeApiClient(RbacAuthorizationV1Api);

/** Every object labelled as ours on the cluster, as "Kind namespace/name" with its metadata. */
async function labelledObjects(): Promise<Array<{ what: string; metadata: V1ObjectMeta }>> {
  const labelSelector = `${managedByLabel}=${managedByValue}`;
  const lists = await Promise.all([
    core.listPodForAllNamespaces({ labelSelector }).then((list) => ['Pod', list.items] as const),
    core.listServiceForAllNamespaces({ labelSelector }).then((list) => ['Service', list.items] as const),
    core.listSecretForAllNamespaces({ labelSelector }).then((list) => ['Secret', list.items] as const),
    core.listConfigMapForAllNamespaces({ labelSelector }).then((list) => ['ConfigMap', list.items] as const),
    core.listServiceAccountForAllNamespaces({ labelSelector }).then((list) => ['ServiceAccount', list.items] as const),
    rbac.listRoleForAllNamespaces({ labelSelector }).then((list) => ['Role', list.items] as const),
    rbac.listRoleBindingForAllNamespaces({ labelSelector }).then((list) => ['RoleBinding', list.items] as const),
    core.listNamespace({ labelSelector }).then((list) => ['Namespace', list.items] as const),
  ]);
  return lists.flatMap(([kind, items]) => items.map((item: { metadata?: V1ObjectMeta }) => {
    const metadata = item.metadata ?? {};
    return { what: `${kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`, metadata };
  }));
}

describe('API fuzzing with Schemathesis from openapi/compute-orchestrator.json (real API and worker)', () => {
  let orchestrator: Orchestrator;
  let seeder: Orchestrator;
  let seeded: Seeded;
  let fuzzer: ChildProcess | undefined;
  const runDir = join(testStateDir, uniqueName('api-fuzz'));

  beforeAll(async () => {
    mkdirSync(runDir, { recursive: true });
    // The fuzzed API reads kernel specs Jupyter can reach (the stack's simulated ones are pod-only,
    // which Jupyter's API does not list); nothing it is sent may start a kernel anyway.
    // A Temporal namespace of its own: the lists answer what this test made, not every other test
    // file's workflows on the shared stack (hundreds, some running on a task queue nobody polls
    // any more, whose status reads end in 503 after 15 s).
    const namespace = uniqueName('api-fuzz');
    await registerNamespace({ address: stackEnv().TEMPORAL_ADDRESS! }, namespace);
    const ownNamespace = { TEMPORAL_NAMESPACE: namespace };
    const fuzzedEnv = { ...ownNamespace, KERNEL_SPECS_FILE: writeKernelSpecs(runDir, 'kernel-specs', defaultKernelSpecs) };
    [orchestrator, seeder] = await Promise.all([startOrchestrator(fuzzedEnv), startOrchestrator(ownNamespace)]);
    // A running kernel and a job that has ended (a simulated driver on the kwok node).
    const user = uniqueName('fuzz-reader');
    const kernelId = uniqueName('fuzz-kernel');
    const job = sparkPiJob(user, 1);
    // A namespace just registered reaches every service of the server within seconds.
    await eventually(() => seeder.call('POST', '/v1/kernels', { kernelId, user }), (answer) => answer.statusCode === 202, 60_000);
    expect((await seeder.call('POST', '/v1/spark-jobs', job)).statusCode).toBe(202);
    const statusOf = async (path: string): Promise<any> => (await seeder.call('GET', path)).json();
    await eventually(() => statusOf(`/v1/kernels/${kernelId}`), (status) => status.phase === 'RUNNING', 60_000);
    await eventually(() => statusOf(`/v1/spark-jobs/${job.jobId}`), (status) => status.cleanedUp === true, 90_000);
    seeded = { user, kernelId, jobId: job.jobId, kernelSpec: (await orchestrator.call('GET', '/api/kernelspecs')).json().default };
  }, 180_000);
  afterAll(async () => {
    if (fuzzer && fuzzer.exitCode === null && fuzzer.signalCode === null) fuzzer.kill('SIGKILL');
    await orchestrator?.stop();
    if (seeder && seeded) {
      expect((await seeder.call('DELETE', `/v1/kernels/${seeded.kernelId}`)).statusCode).toBe(202);
      await eventually(async () => (await seeder.call('GET', `/v1/kernels/${seeded.kernelId}`)).json(), (status) => status.cleanedUp === true, 60_000);
    }
    await seeder?.stop();
  }, 120_000);

  test('no 5xx and every answer as documented; operations that start work refuse what is fuzzed, and nothing is created', async () => {
    const binary = schemathesisBinary();
    const configFile = join(runDir, 'schemathesis.toml');
    writeFileSync(configFile, configToml(seeded));
    const junitFile = join(runDir, 'junit.xml');
    const logFile = join(runDir, 'schemathesis.log');
    // Object timestamps have whole seconds.
    const startedAt = Math.floor(Date.now() / 1000) * 1000;

    const args = [
      '--config-file', configFile, 'run', openapiDocumentFile,
      '--url', orchestrator.url, '--header', `Authorization: Bearer ${testToken}`,
      '--checks', 'all', '--phases', 'examples,coverage,fuzzing',
      ...excludedOperationIds.flatMap((id) => ['--exclude-operation-id', id]),
      '--seed', String(seed), '--max-examples', String(maxExamples), '--workers', '1', '--request-timeout', '30',
      '--report', 'junit', '--report-junit-path', junitFile, '--no-color',
    ];
    // Async: the API under test answers from this very process.
    fuzzer = spawn(binary, args, { cwd: runDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const log = createWriteStream(logFile);
    fuzzer.stdout!.pipe(log);
    fuzzer.stderr!.pipe(log);
    const [exitCode] = await once(fuzzer, 'exit') as [number | null];
    log.end();

    if (!existsSync(junitFile)) throw new Error(`schemathesis exited with ${exitCode} and no report; its output is in ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
    const { operations, findings } = parseJunit(readFileSync(junitFile, 'utf8'));
    const document = JSON.parse(readFileSync(openapiDocumentFile, 'utf8')) as { paths: Record<string, Record<string, { operationId: string }>> };
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item)
      .filter(([, operation]) => !excludedOperationIds.includes(operation.operationId)).map(([method]) => `${method.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(documented.sort());

    // Nothing started: no workflow on this API's task queues...
    const { taskQueue, temporal } = orchestrator;
    const started: string[] = [];
    const query = `TaskQueue=${JSON.stringify(taskQueue)} OR TaskQueue=${JSON.stringify(watchTaskQueue(taskQueue))}`;
    for await (const execution of temporal.client.workflow.list({ query })) started.push(`${execution.type} ${execution.workflowId}`);
    expect(started).toEqual([]);
    // ...and no object of ours on the cluster that a workflow of theirs, or none, made while the fuzzer ran.
    const created: string[] = [];
    for (const { what, metadata } of await labelledObjects()) {
      if ((metadata.creationTimestamp?.getTime() ?? 0) < startedAt) continue;
      const workflowId = metadata.annotations?.[workflowIdAnnotation];
      // A workflow not in this test's namespace is another test file's.
      const owner = workflowId === undefined ? undefined
        : await temporal.client.workflow.getHandle(workflowId).describe().then((description) => description.taskQueue, (error: unknown) => {
          if (error instanceof WorkflowNotFoundError) return 'another namespace';
          throw error;
        });
      if (owner === undefined || owner === taskQueue || owner === watchTaskQueue(taskQueue)) created.push(`${what} (workflow ${workflowId ?? 'none'})`);
    }
    // All at once, so that a failure shows everything. Each finding names its operation, the check
    // and a curl line that repeats it; the whole run is in the log.
    expect({ findings: findings.map(describeFinding), started, created, exitCode }).toEqual({ findings: [], started: [], created: [], exitCode: 0 });
  }, Math.max(240_000, maxExamples * 4_000));

  // What the fuzzer found, each fixed; kept here so that a seed that no longer reaches them still checks them.
  describe('what it found', () => {
    const raw = (method: string, path: string, body?: unknown) => callApi(orchestrator.url, method, path, { token: testToken, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });

    test('a method a path does not have is 405 with Allow, in the error shape (was 404, as if the path were unknown)', async () => {
      const answer = await raw('PUT', '/v1/clusters/local');
      expect(answer.statusCode).toBe(405);
      expect(answer.headers.get('allow')).toBe('DELETE, GET, HEAD');
      expect(answer.json()).toEqual({ error: { code: 'METHOD_NOT_ALLOWED', message: 'PUT is not a method of /v1/clusters/local: it answers DELETE, GET, HEAD' } });
      // Before the body is read: Fastify refused a QUERY without a content type with a 400 first.
      expect((await raw('QUERY', '/v1/kernels')).statusCode).toBe(405);
      expect((await raw('PUT', '/v1/nothing-here')).statusCode).toBe(404);
    });

    test("a valid path parameter reaches its route, and what the router refuses is a 400 in the error shape, not Fastify's own 414", async () => {
      // A valid name: 64 characters outside the BMP, 128 UTF-16 units, which Fastify's limit of 100 refused.
      expect((await raw('GET', `/api/kernelspecs/${'%F0%9D%94%B8'.repeat(64)}`)).statusCode).toBe(404);
      // Too long for the schema, which names the field...
      const long = await raw('GET', `/api/kernelspecs/${'%C3%9F'.repeat(200)}`);
      expect([long.statusCode, long.json().error.field]).toEqual([400, 'name']);
      // ...and for the router, which answers in the same shape.
      const longer = await raw('GET', `/api/kernelspecs/${'a'.repeat(300)}`);
      expect(longer.statusCode).toBe(400);
      expect(longer.json()).toEqual({ message: 'a path parameter is longer than 256 characters', reason: 'Bad Request', error: { code: 'VALIDATION', message: 'a path parameter is longer than 256 characters' } });
      const malformed = await raw('GET', '/v1/kernels/%E0%A4%A');
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toEqual({ error: { code: 'VALIDATION', message: expect.stringContaining('not a valid url component') } });
    });

    test('a payload the codec cannot read is 400 naming it (was 500)', async () => {
      // A metadata key with a line break had its value go unchecked.
      for (const payload of [{ data: 'K//j==' }, { metadata: { encoding: 'x' } }, { metadata: { 'a\rb': 'x*' } }, { externalPayloads: [{ sizeBytes: '99999999999999999999' }] }]) {
        const answer = await raw('POST', '/codec/decode', { payloads: [payload] });
        expect([JSON.stringify(payload), answer.statusCode, answer.json().error.code]).toEqual([JSON.stringify(payload), 400, 'VALIDATION']);
        expect(answer.json().error.field).toMatch(/^payloads\.0\./);
      }
      // Unpadded base64 is still read.
      expect((await raw('POST', '/codec/decode', { payloads: [{ data: 'J3pO00' }] })).json()).toEqual({ payloads: [{ data: 'J3pO0w==' }] });
    });

    test("Jupyter's start request checks the value of every env key, one with a line break too", async () => {
      const answer = await raw('POST', '/api/kernels', { env: { KERNEL_USERNAME: 'fuzz', 'KERNEL_X\n': { not: 'a string' } } });
      // The schema's refusal, not only the kernel plan's rule on names, which came later.
      expect([answer.statusCode, answer.json().error]).toEqual([400, { code: 'VALIDATION', message: 'env.KERNEL_X\n must be string', field: 'env.KERNEL_X\n' }]);
    });

    test('a list for a user with a NUL is 400 naming user (was a 500 after Temporal retried 20 s)', async () => {
      for (const path of ['/v1/spark-jobs', '/v1/kernels']) {
        const started = Date.now();
        const answer = await raw('GET', `${path}?user=a%00b`);
        expect([path, answer.statusCode, answer.json().error.field]).toEqual([path, 400, 'user']);
        expect(Date.now() - started).toBeLessThan(5_000);
      }
    });

    test('/metrics is text/plain, as the document now says (it said application/json)', async () => {
      const answer = await raw('GET', '/metrics');
      expect(answer.statusCode).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
      const document = JSON.parse(readFileSync(openapiDocumentFile, 'utf8'));
      expect(Object.keys(document.paths['/metrics'].get.responses['200'].content)).toEqual(['text/plain']);
    });
  });
});
