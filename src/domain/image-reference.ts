import { validationError } from './errors.js';

// The grammar of a container image reference (distribution/reference, what kubelets and
// containerd parse): [domain[:port]/]path[:tag][@digest], path components in lower case.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `${domainComponent}(?:\\.${domainComponent})*(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9A-Fa-f]{32,}';
const reference = new RegExp(`^${name}(?::${tag})?(?:@${digest})?$`);

/** A name longer than this is refused by the runtime. */
const maxNameLength = 255;

export function isImageReference(candidate: string): boolean {
  const nameLength = candidate.split('@')[0]!.replace(/:[\w][\w.-]{0,127}$/, '').length;
  return reference.test(candidate) && nameLength <= maxNameLength;
}

/** A 400 naming `field` unless `candidate` is an image a node could pull. */
export function checkImageReference(field: string, candidate: string): void {
  if (!isImageReference(candidate)) {
    throw validationError(field, `${field} must be an image reference such as apache/spark:4.0.1 or registry.example.com/team/spark@sha256:…, got '${candidate.slice(0, 100)}'`);
  }
}
