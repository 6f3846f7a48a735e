import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { searchAttributeTypes } from '../../src/domain/search-attributes.js';
import { repoRoot, toolBinary } from '../../src/local/paths.js';
import { temporalDynamicConfigFile } from '../../src/local/temporal-dynamic-config.js';
import { temporalDatabases } from '../../src/local/temporal-on-postgres.js';

// docker-compose.yml cannot be run here (no Docker engine), so it is loaded by compose-go, the
// loader inside `docker compose`, through tools/compose-check: the schema, interpolation, merge
// keys and dependency checks are the real ones, and the assertions read the normalized project
// it prints (what `docker compose config --format json` prints), not the raw YAML.

/** The parts of compose-go's normalized service (types.ServiceConfig as JSON) read here. */
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command: string[] | null;
  entrypoint: string[] | null;
  depends_on?: Record<string, { condition: string; required: boolean }>;
  environment?: Record<string, string | null>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean }[];
  ports?: { host_ip?: string; target: number; published?: string }[];
  healthcheck?: { test?: string[]; disable?: boolean };
}

interface Project {
  name: string;
  services: Record<string, Service>;
}

const source = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8');
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** `text` as docker-compose.yml in a directory of its own: no .env from the checkout leaks in. */
function composeFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-check-'));
  scratch.push(dir);
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, text);
  return file;
}

/** compose-check on `file` with exactly `env` as its environment. */
function composeConfig(file: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const binary = toolBinary('compose-check');
  const result = spawnSync(binary, [file], { env, encoding: 'utf8' });
  if (result.error) throw new Error(`compose-check did not run (${result.error.message}): bash tools/build-compose-check.sh builds it, npm test does first`);
  return result;
}

function load(file: string, env: Record<string, string> = {}): Project {
  const result = composeConfig(file, env);
  if (result.status !== 0) throw new Error(`compose-check rejected ${file}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Project;
}

/** A copy of docker-compose.yml with `edit` applied (anchors, merge keys and `$$` kept). */
function brokenCopy(edit: (document: ReturnType<typeof parseDocument>) => void): string {
  const document = parseDocument(source);
  edit(document);
  return composeFile(document.toString());
}

const file = composeFile(source);
const compose = load(file);
const { services } = compose;
const waitsFor = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(services[name]!.depends_on ?? {}).map(([service, { condition }]) => [service, condition]));

describe('docker-compose.yml', () => {
  test('has the production roles, each waiting for what it needs', () => {
    expect(compose.name).toBe('compute-orchestrator');
    expect(Object.keys(services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
    expect(waitsFor('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(waitsFor('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(waitsFor('temporal-namespace')).toEqual({ temporal: 'service_healthy' });
    expect(waitsFor('temporal-ui')).toEqual({ temporal: 'service_healthy' });
    expect(services.temporal!.healthcheck?.test).toEqual(['CMD', 'nc', '-z', 'localhost', '7233']);
    for (const name of ['worker', 'api']) {
      expect(services[name]!.build).toEqual({ context: dirname(file), dockerfile: 'Dockerfile' });
      expect(waitsFor(name)).toEqual({ 'temporal-namespace': 'service_completed_successfully' });
      // From the `<<: *orchestrator-env` merge key, as Compose applies it.
      expect(services[name]!.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
    expect(existsSync(join(repoRoot, 'Dockerfile'))).toBe(true);
    expect(services.worker!.command).toEqual(['node', 'dist/worker.js']);
    expect(services.api!.command).toEqual(['node', 'dist/api/main.js']);
    expect(services.api!.healthcheck?.test?.[0]).toBe('CMD-SHELL');
    // The worker's own /healthz (WORKER_HEALTH_ADDRESS) is what its healthcheck asks.
    const [, port] = services.worker!.environment!.WORKER_HEALTH_ADDRESS!.split(':');
    expect(services.worker!.healthcheck?.test?.join(' ')).toContain(`127.0.0.1:${port}/healthz`);
  });

  test('every service waited on as healthy has a healthcheck', () => {
    const waitedOn = Object.keys(services).flatMap((name) =>
      Object.entries(waitsFor(name)).filter(([, condition]) => condition === 'service_healthy').map(([service]) => service));
    expect(new Set(waitedOn)).toEqual(new Set(['postgresql', 'temporal']));
    for (const name of waitedOn) {
      expect(services[name]!.healthcheck?.disable).toBeFalsy();
      expect(['CMD', 'CMD-SHELL']).toContain(services[name]!.healthcheck?.test?.[0]);
    }
  });

  test("registers exactly the code's search attributes", () => {
    const script = services['temporal-namespace']!.entrypoint!.join(' ');
    const listed = /for attribute in ([\w ]+); do/.exec(script)?.[1]?.split(' ');
    expect(listed?.sort()).toEqual(Object.keys(searchAttributeTypes).sort());
    expect(Object.values(searchAttributeTypes).every((type) => type === 'Keyword')).toBe(true);
    expect(script).toContain('--name $attribute --type Keyword');
  });

  test('runs the Temporal server the native production-shaped run builds, with the same schemas', () => {
    const version = /^TEMPORAL_SERVER_VERSION=v(.+)$/m.exec(readFileSync(join(repoRoot, 'tools', 'versions.env'), 'utf8'))?.[1];
    expect(services.temporal!.image).toBe(`temporalio/server:${version}`);
    expect(services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${version}`);
    expect(services['temporal-namespace']!.image).toBe(`temporalio/admin-tools:${version}`);
    const script = services['temporal-schema']!.entrypoint!.join(' ');
    const pairs = /for pair in ([\w/: ]+); do/.exec(script)?.[1]?.split(' ');
    expect(pairs).toEqual(Object.entries(temporalDatabases).map(([database, schema]) => `${database}:${schema}`));
  });

  test("gives the server the project's dynamic configuration, the file the native runs use", () => {
    const temporal = services.temporal!;
    const target = join('/etc/temporal', temporal.environment!.DYNAMIC_CONFIG_FILE_PATH!);
    const mount = temporal.volumes?.find((volume) => volume.type === 'bind' && volume.target === target && volume.read_only === true);
    expect(mount && relative(dirname(file), mount.source)).toBe(relative(repoRoot, temporalDynamicConfigFile));
  });

  test('the worker and the API read the same payload keys file', () => {
    const mounts = ['worker', 'api'].map((name) => {
      const service = services[name]!;
      const target = service.environment?.CODEC_KEYS_FILE;
      expect(target).toBeDefined();
      return service.volumes?.find((volume) => volume.type === 'bind' && volume.target === target && volume.read_only === true)?.source;
    });
    expect(mounts[0]).toBeDefined();
    expect(mounts[1]).toBe(mounts[0]);
  });

  test('publishes ports on loopback only', () => {
    const published = Object.values(services).flatMap((service) => service.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port.host_ip).toBe('127.0.0.1');
  });

  test('the Compose loader accepts it with no environment set: defaults apply, $$ reaches the shell as $', () => {
    const result = composeConfig(file);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(services.postgresql!.environment?.POSTGRES_PASSWORD).toBe('temporal');
    expect(services['temporal-schema']!.environment?.SQL_PASSWORD).toBe('temporal');
    expect(services.temporal!.environment?.POSTGRES_PWD).toBe('temporal');
    const sources = (name: string): string[] => services[name]!.volumes!.map((volume) => volume.source);
    const local = join(dirname(file), '.local');
    expect(sources('worker')).toEqual([join(local, 'kubeconfig'), join(local, 'codec-keys.json')]);
    expect(sources('api')).toEqual([join(local, 'kubeconfig'), join(local, 'api-tokens.json'), join(local, 'codec-keys.json')]);
    expect(services['temporal-schema']!.entrypoint!.join(' ')).toContain('db=${pair%%:*}; schema=${pair#*:};');
  });

  test('one POSTGRES_PASSWORD reaches PostgreSQL and both of its clients; host paths come from the environment', () => {
    const { services: configured } = load(file, { POSTGRES_PASSWORD: 'from-the-environment', KUBECONFIG: '/srv/kubeconfig' });
    expect(configured.postgresql!.environment?.POSTGRES_PASSWORD).toBe('from-the-environment');
    expect(configured['temporal-schema']!.environment?.SQL_PASSWORD).toBe('from-the-environment');
    expect(configured.temporal!.environment?.POSTGRES_PWD).toBe('from-the-environment');
    expect(configured.worker!.volumes![0]!.source).toBe('/srv/kubeconfig');
  });

  test('the Compose loader rejects a depends_on naming a service that does not exist', () => {
    const broken = brokenCopy((document) => {
      document.deleteIn(['services', 'worker', 'depends_on', 'temporal-namespace']);
      document.setIn(['services', 'worker', 'depends_on', 'temporal-frontend'], document.createNode({ condition: 'service_healthy' }));
    });
    const result = composeConfig(broken);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toBe('service "worker" depends on undefined service "temporal-frontend": invalid compose project');
  });

  test('the Compose loader rejects an unknown key in a service', () => {
    // `restart_policy` belongs under `deploy:`; at the service level the schema forbids it.
    const broken = brokenCopy((document) => document.setIn(['services', 'api', 'restart_policy'], 'always'));
    const result = composeConfig(broken);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^validating ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: services\\.api\\b.*restart_policy`));
  });

  test('the Compose loader rejects a dependency cycle', () => {
    const broken = brokenCopy((document) => document.setIn(['services', 'postgresql', 'depends_on'], document.createNode(['worker'])));
    const result = composeConfig(broken);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^dependency cycle detected: .*postgresql -> worker -> /);
  });
});
