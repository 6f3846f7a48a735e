import { validationError } from './errors.js';
import { toDnsLabel } from './naming.js';

export const defaultNamespaceTemplate = 'dss-ns-${dssUserLogin}';

/** Namespaces that are never a target, whatever a template says. */
export const systemNamespaces = ['kube-system', 'kube-public', 'kube-node-lease', 'default'];

export interface TemplateContext {
  dssUserLogin: string;
  adminProperties: Record<string, string>;
  /** The orchestrator's own namespace, protected like the system ones. */
  orchestratorNamespace: string;
}

/** System namespaces, anything `kube-*`, and the orchestrator's own are never a target. */
export function isProtectedNamespace(namespace: string, orchestratorNamespace: string): boolean {
  return systemNamespaces.includes(namespace) || namespace.startsWith('kube-') || namespace === orchestratorNamespace;
}

const placeholder = /\$\{([^}]*)\}/g;

/**
 * Expands `dss-ns-${dssUserLogin}` or `${adminProperty:k8sNS}` (literal text around placeholders
 * is kept) and turns the result into a namespace name. Errors name the field to fix.
 */
export function resolveNamespace(template: string, context: TemplateContext, field = 'namespace.template'): string {
  if (/\$\{[^}]*$/.test(template)) throw validationError(field, `unclosed placeholder in '${template}'`);
  const expanded = template.replace(placeholder, (_match, name: string) => {
    if (name === 'dssUserLogin') return context.dssUserLogin;
    const property = /^adminProperty:(.+)$/.exec(name)?.[1];
    if (property === undefined) {
      throw validationError(field, `unknown placeholder \${${name}}: use \${dssUserLogin} or \${adminProperty:NAME}`);
    }
    const value = context.adminProperties[property];
    if (value === undefined || value === '') {
      throw validationError(`adminProperties.${property}`, `the template needs the admin property '${property}', which is not set for this user`);
    }
    return value;
  });
  if (expanded.trim() === '') throw validationError(field, `'${template}' resolves to an empty namespace name`);
  const namespace = toDnsLabel(expanded);
  if (isProtectedNamespace(namespace, context.orchestratorNamespace)) throw validationError(field, `'${template}' resolves to the protected namespace '${namespace}'`);
  return namespace;
}
