import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditLogName } from './apiserver.js';

/** One audit event as the local API server writes it (metadata level: no bodies). */
export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

/** Every event of the audit log in `logDir`, its rotated backups first (they hold the older events). */
export function readAuditEvents(logDir: string): AuditEvent[] {
  if (!existsSync(logDir)) return [];
  const stem = auditLogName.replace(/\.log$/, '');
  const files = readdirSync(logDir).filter((name) => name.startsWith(stem)).sort((a, b) => (a === auditLogName ? 1 : b === auditLogName ? -1 : a.localeCompare(b)));
  return files.flatMap((name) => readFileSync(join(logDir, name), 'utf8').split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as AuditEvent));
}
