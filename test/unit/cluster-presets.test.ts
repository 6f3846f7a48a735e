import { describe, expect, test } from '@jest/globals';
import {
  emptyClusterPresets, gkeClusterPath, gkeOperationPath, gkeParent, isOwnedBy, ownerResourceLabels, parseClusterPresets,
} from '../../src/domain/cluster-presets.js';
import { domainFailure } from '../support/domain-errors.js';

const validFile = {
  gkeConnections: {
    prod: { project: 'acme-data-prod', location: 'europe-west1', credentials: { type: 'application-default' } },
    'prod-b': { project: 'acme-data-prod', location: 'europe-west1-b', credentials: { type: 'key-file', path: '/secrets/sa.json' } },
    ci: { project: 'acme-ci', location: 'us-central1', credentials: { type: 'access-token-file', path: '/run/token' }, apiEndpoint: '127.0.0.1:50051' },
  },
  nodePools: {
    small: { machineType: 'e2-standard-4', nodeCount: 1 },
    spark: { machineType: 'n2-highmem-16', autoscaling: { minNodes: 0, maxNodes: 20 }, diskSizeGb: 200 },
  },
  staticClusters: {
    onprem: { kubeconfig: '/etc/kube/onprem.yaml', context: 'admin@onprem' },
    lab: { kubeconfig: '/etc/kube/lab.yaml' },
  },
};

/** A copy of the valid file with `change` applied to it. */
function withChange(change: (file: any) => void): unknown {
  const file = structuredClone(validFile);
  change(file);
  return file;
}

const problem = (raw: unknown) => domainFailure(() => parseClusterPresets(raw, 'presets.json'));

describe('parseClusterPresets', () => {
  test('a valid file comes back as it is', () => {
    expect(parseClusterPresets(validFile, 'presets.json')).toEqual(validFile);
  });

  test('every section may be left out', () => {
    expect(parseClusterPresets({}, 'presets.json')).toEqual(emptyClusterPresets);
    expect(parseClusterPresets({ nodePools: validFile.nodePools }, 'presets.json')).toEqual({ ...emptyClusterPresets, nodePools: validFile.nodePools });
  });

  test.each([
    ['the file is not an object', [], '', /presets\.json: the file must be an object/],
    ['an unknown top-level key', { clusters: {} }, '', /the file has unknown key 'clusters' \(allowed: gkeConnections, nodePools, staticClusters\)/],
    ['a section that is no object', { gkeConnections: [] }, 'gkeConnections', /must be an object of named presets/],
    ['a preset name that is no DNS label', withChange((f) => { f.staticClusters.Lab_1 = f.staticClusters.lab; }), 'staticClusters.Lab_1', /not a valid preset name/],
    ['a node pool name starting with a digit', withChange((f) => { f.nodePools['1pool'] = f.nodePools.small; }), 'nodePools.1pool', /start.* with a letter/],
    ['unknown keys of a connection', withChange((f) => { f.gkeConnections.prod.zone = 'x'; f.gkeConnections.prod.region = 'y'; }),
      'gkeConnections.prod', /has unknown keys 'zone', 'region'/],
    ['a missing project', withChange((f) => { delete f.gkeConnections.prod.project; }), 'gkeConnections.prod.project', /must be a non-empty string/],
    ['a project id too short', withChange((f) => { f.gkeConnections.prod.project = 'acme'; }), 'gkeConnections.prod.project', /GCP project id.*got 'acme'/],
    ['a project id ending with a hyphen', withChange((f) => { f.gkeConnections.prod.project = 'acme-data-'; }), 'gkeConnections.prod.project', /GCP project id/],
    ['a bad location', withChange((f) => { f.gkeConnections.prod.location = 'Europe West'; }), 'gkeConnections.prod.location', /region or zone.*got 'Europe West'/],
    ['no credentials', withChange((f) => { delete f.gkeConnections.prod.credentials; }), 'gkeConnections.prod.credentials', /must be an object/],
    ['an unknown credentials type', withChange((f) => { f.gkeConnections.prod.credentials = { type: 'password' }; }),
      'gkeConnections.prod.credentials.type', /one of application-default, key-file, access-token-file, got "password"/],
    ['a key file without a path', withChange((f) => { f.gkeConnections['prod-b'].credentials = { type: 'key-file' }; }),
      'gkeConnections.prod-b.credentials.path', /must be a non-empty string/],
    ['a path with application-default credentials', withChange((f) => { f.gkeConnections.prod.credentials.path = '/x'; }),
      'gkeConnections.prod.credentials.path', /no use with application-default/],
    ['an unknown key of credentials', withChange((f) => { f.gkeConnections.ci.credentials.token = 'secret'; }),
      'gkeConnections.ci.credentials', /unknown key 'token'/],
    ['an endpoint without a port', withChange((f) => { f.gkeConnections.ci.apiEndpoint = '127.0.0.1'; }), 'gkeConnections.ci.apiEndpoint', /must be host:port/],
    ['an endpoint with port 0', withChange((f) => { f.gkeConnections.ci.apiEndpoint = 'localhost:0'; }), 'gkeConnections.ci.apiEndpoint', /port from 1 to 65535/],
    ['a bad machine type', withChange((f) => { f.nodePools.small.machineType = 'E2 Standard'; }), 'nodePools.small.machineType', /machine type/],
    ['both nodeCount and autoscaling', withChange((f) => { f.nodePools.small.autoscaling = { minNodes: 1, maxNodes: 2 }; }),
      'nodePools.small', /exactly one of nodeCount and autoscaling/],
    ['neither nodeCount nor autoscaling', withChange((f) => { delete f.nodePools.small.nodeCount; }), 'nodePools.small', /exactly one of/],
    ['a node count of 0', withChange((f) => { f.nodePools.small.nodeCount = 0; }), 'nodePools.small.nodeCount', /integer from 1 to 1000, got 0/],
    ['a fractional node count', withChange((f) => { f.nodePools.small.nodeCount = 1.5; }), 'nodePools.small.nodeCount', /integer/],
    ['a node count as a string', withChange((f) => { f.nodePools.small.nodeCount = '3'; }), 'nodePools.small.nodeCount', /got "3"/],
    ['min above max', withChange((f) => { f.nodePools.spark.autoscaling = { minNodes: 5, maxNodes: 2 }; }), 'nodePools.spark.autoscaling', /minNodes 5 above maxNodes 2/],
    ['a missing maxNodes', withChange((f) => { delete f.nodePools.spark.autoscaling.maxNodes; }), 'nodePools.spark.autoscaling.maxNodes', /integer/],
    ['an unknown autoscaling key', withChange((f) => { f.nodePools.spark.autoscaling.max = 3; }), 'nodePools.spark.autoscaling', /unknown key 'max'/],
    ['a disk too small', withChange((f) => { f.nodePools.spark.diskSizeGb = 5; }), 'nodePools.spark.diskSizeGb', /from 10 to 65536, got 5/],
    ['a static cluster without kubeconfig', withChange((f) => { delete f.staticClusters.lab.kubeconfig; }), 'staticClusters.lab.kubeconfig', /non-empty string/],
    ['an empty context', withChange((f) => { f.staticClusters.onprem.context = ''; }), 'staticClusters.onprem.context', /non-empty string/],
  ])('refuses %s, naming the field', (_case, raw, field, message) => {
    const error = problem(raw);
    expect(error).toMatchObject({ code: 'VALIDATION', field });
    expect(error.message).toMatch(/^cluster presets presets\.json: /);
    expect(error.message).toMatch(message);
    if (field) expect(error.message).toContain(`presets.json: ${field} `);
  });
});

describe('GKE names and ownership labels', () => {
  const connection = { project: 'acme-data-prod', location: 'europe-west1' };

  test('resource paths of the v1 API', () => {
    expect(gkeParent(connection)).toBe('projects/acme-data-prod/locations/europe-west1');
    expect(gkeClusterPath(connection, 'c1')).toBe('projects/acme-data-prod/locations/europe-west1/clusters/c1');
    expect(gkeOperationPath(connection, 'operation-1')).toBe('projects/acme-data-prod/locations/europe-west1/operations/operation-1');
  });

  test('owner labels are valid GCP labels, and tell workflows apart', () => {
    expect(ownerResourceLabels('cluster-c1')).toEqual({ 'managed-by': 'compute-orchestrator', owner: 'cluster-c1' });
    const gcpLabelValue = /^[a-z0-9_-]{0,63}$/;
    for (const workflowId of ['Cluster.C1', 'cluster_c1', `cluster-${'x'.repeat(100)}`]) {
      expect(ownerResourceLabels(workflowId).owner).toMatch(gcpLabelValue);
    }
    expect(ownerResourceLabels('cluster.c1').owner).not.toBe(ownerResourceLabels('cluster_c1').owner);
  });

  test('isOwnedBy needs both labels, for that workflow', () => {
    expect(isOwnedBy(ownerResourceLabels('cluster-c1'), 'cluster-c1')).toBe(true);
    expect(isOwnedBy({ ...ownerResourceLabels('cluster-c1'), team: 'data' }, 'cluster-c1')).toBe(true);
    expect(isOwnedBy(ownerResourceLabels('cluster-c2'), 'cluster-c1')).toBe(false);
    expect(isOwnedBy({ owner: 'cluster-c1' }, 'cluster-c1')).toBe(false);
    expect(isOwnedBy({}, 'cluster-c1')).toBe(false);
    expect(isOwnedBy(null, 'cluster-c1')).toBe(false);
  });
});
