import { describe, expect, test } from '@jest/globals';
import { defaultNamespaceTemplate, resolveNamespace, type TemplateContext } from '../../src/domain/namespace-template.js';
import { shortHash, toDnsLabel } from '../../src/domain/naming.js';
import { domainFailure } from '../support/domain-errors.js';

const context = (dssUserLogin: string, adminProperties: Record<string, string> = {}): TemplateContext =>
  ({ dssUserLogin, adminProperties, orchestratorNamespace: 'compute-orchestrator' });

const dnsLabel = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

describe('toDnsLabel', () => {
  test('keeps a name that is already a valid label', () => {
    expect(toDnsLabel('dss-ns-alice')).toBe('dss-ns-alice');
  });

  test.each(['john.doe', 'john_doe', 'John.Doe', 'JOHN_DOE', 'jöhn döe', '用户', '--x--', '💥'])('escapes %j to a valid label with a hash', (raw) => {
    const label = toDnsLabel(raw);
    expect(label).toMatch(dnsLabel);
    expect(label.length).toBeLessThanOrEqual(63);
    expect(label.endsWith(shortHash(raw))).toBe(true);
  });

  test('inputs that escape alike still get different names', () => {
    const names = ['john.doe', 'john_doe', 'John.Doe', 'john-doe', 'john--doe'].map((raw) => toDnsLabel(`dss-ns-${raw}`));
    expect(new Set(names).size).toBe(names.length);
    expect(names[3]).toBe('dss-ns-john-doe');
  });

  test('truncates long input to 63 characters, keeping inputs that share a prefix apart', () => {
    const a = toDnsLabel(`dss-ns-${'a'.repeat(200)}`);
    const b = toDnsLabel(`dss-ns-${'a'.repeat(199)}b`);
    expect(a).toHaveLength(63);
    expect(a).toMatch(dnsLabel);
    expect(a).not.toBe(b);
  });

  test('is deterministic', () => {
    expect(toDnsLabel('John.Doe')).toBe(toDnsLabel('John.Doe'));
    expect(shortHash('x')).toMatch(/^[0-9a-z]{8}$/);
  });
});

describe('resolveNamespace', () => {
  test('one namespace per user by default', () => {
    expect(resolveNamespace(defaultNamespaceTemplate, context('alice'))).toBe('dss-ns-alice');
  });

  test('one namespace per team from an admin property, literal text kept', () => {
    expect(resolveNamespace('${adminProperty:k8sNS}', context('alice', { k8sNS: 'team-data' }))).toBe('team-data');
    expect(resolveNamespace('spark-${adminProperty:team}-prod', context('alice', { team: 'risk' }))).toBe('spark-risk-prod');
  });

  test('john.doe and john_doe never share a namespace; upper case is escaped too', () => {
    const dotted = resolveNamespace(defaultNamespaceTemplate, context('john.doe'));
    const underscored = resolveNamespace(defaultNamespaceTemplate, context('john_doe'));
    const upper = resolveNamespace(defaultNamespaceTemplate, context('John'));
    expect(dotted).toMatch(/^dss-ns-john-doe-[0-9a-z]{8}$/);
    expect(underscored).toMatch(/^dss-ns-john-doe-[0-9a-z]{8}$/);
    expect(dotted).not.toBe(underscored);
    expect(upper).toMatch(/^dss-ns-john-[0-9a-z]{8}$/);
  });

  test('a 200-character login and a unicode login give valid names', () => {
    for (const login of ['x'.repeat(200), 'zoë.ångström', 'ユーザー']) {
      const namespace = resolveNamespace(defaultNamespaceTemplate, context(login));
      expect(namespace).toMatch(dnsLabel);
      expect(namespace.length).toBeLessThanOrEqual(63);
    }
  });

  test.each([
    ['${adminProperty:ns}', { ns: 'kube-system' }],
    ['${adminProperty:ns}', { ns: 'default' }],
    ['kube-${dssUserLogin}', {}],
    ['${adminProperty:ns}', { ns: 'compute-orchestrator' }],
  ])('refuses %s resolving to a protected namespace', (template, properties) => {
    const error = domainFailure(() => resolveNamespace(template, context('public', properties)));
    expect(error.code).toBe('VALIDATION');
    expect(error.field).toBe('namespace.template');
    expect(error.message).toMatch(/resolves to the protected namespace/);
  });

  test('a missing admin property names it', () => {
    const error = domainFailure(() => resolveNamespace('${adminProperty:k8sNS}', context('alice')));
    expect(error.field).toBe('adminProperties.k8sNS');
    expect(error.message).toContain("admin property 'k8sNS'");
  });

  test('an unknown placeholder or an unclosed one is refused', () => {
    expect(domainFailure(() => resolveNamespace('ns-${user}', context('alice'))).message).toContain('unknown placeholder ${user}');
    expect(domainFailure(() => resolveNamespace('ns-${dssUserLogin', context('alice'))).message).toContain('unclosed placeholder');
  });
});
