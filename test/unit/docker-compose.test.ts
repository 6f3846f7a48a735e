import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { searchAttributeTypes } from '../../src/domain/search-attributes.js';
import { repoRoot } from '../../src/local/paths.js';
import { temporalDatabases } from '../../src/local/temporal-on-postgres.js';

interface Service {
  command?: string[];
  entrypoint?: string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: unknown;
  build?: string;
  image?: string;
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  test('has the production roles, each waiting for what it needs', () => {
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-namespace', 'temporal-schema', 'temporal-ui', 'worker']);
    expect(services['temporal-schema']!.depends_on).toEqual({ postgresql: { condition: 'service_healthy' } });
    expect(services.temporal!.depends_on).toEqual({ 'temporal-schema': { condition: 'service_completed_successfully' } });
    expect(services['temporal-namespace']!.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
    expect(services.temporal!.healthcheck).toBeDefined();
    for (const name of ['worker', 'api']) {
      expect(services[name]!.build).toBe('.');
      expect(services[name]!.depends_on).toEqual({ 'temporal-namespace': { condition: 'service_completed_successfully' } });
      expect(services[name]!.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
    expect(services.worker!.command).toEqual(['node', 'dist/worker.js']);
    expect(services.api!.command).toEqual(['node', 'dist/api/main.js']);
    expect(services.api!.healthcheck).toBeDefined();
  });

  test("registers exactly the code's search attributes", () => {
    const script = compose.services['temporal-namespace']!.entrypoint!.join(' ');
    const listed = /for attribute in ([\w ]+); do/.exec(script)?.[1]?.split(' ');
    expect(listed?.sort()).toEqual(Object.keys(searchAttributeTypes).sort());
    expect(Object.values(searchAttributeTypes).every((type) => type === 'Keyword')).toBe(true);
    expect(script).toContain('--type Keyword');
  });

  test('runs the Temporal server the native production-shaped run builds, with the same schemas', () => {
    const version = /^TEMPORAL_SERVER_VERSION=v(.+)$/m.exec(readFileSync(join(repoRoot, 'tools', 'versions.env'), 'utf8'))?.[1];
    expect(compose.services.temporal!.image).toBe(`temporalio/server:${version}`);
    expect(compose.services['temporal-schema']!.image).toBe(`temporalio/admin-tools:${version}`);
    const script = compose.services['temporal-schema']!.entrypoint!.join(' ');
    const pairs = /for pair in ([\w/: ]+); do/.exec(script)?.[1]?.split(' ');
    expect(pairs).toEqual(Object.entries(temporalDatabases).map(([database, schema]) => `${database}:${schema}`));
  });

  test('the worker and the API read the same payload keys file', () => {
    const mounts = ['worker', 'api'].map((name) => {
      const service = compose.services[name]!;
      const file = service.environment?.CODEC_KEYS_FILE;
      expect(file).toBeDefined();
      return service.volumes?.find((volume) => volume.endsWith(`:${file}:ro`));
    });
    expect(mounts[0]).toBeDefined();
    expect(mounts[1]).toBe(mounts[0]);
  });

  test('publishes ports on loopback only', () => {
    const published = Object.values(compose.services).flatMap((service) => service.ports ?? []);
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:/);
  });
});
