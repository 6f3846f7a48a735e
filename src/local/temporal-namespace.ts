import { Connection, type TLSConfig } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import proto from '@temporalio/proto';
import { searchAttributeTypes } from '../domain/search-attributes.js';

/** The namespace and the orchestrator's search attributes, as an operator registers them once. */
export async function registerNamespace(frontend: { address: string; tls?: TLSConfig }, namespace: string): Promise<void> {
  const connection = await Connection.connect(frontend);
  try {
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') });
    } catch (error) {
      if (!/already exists|AlreadyExists/i.test(String(error))) throw error;
    }
    const indexed = proto.temporal.api.enums.v1.IndexedValueType;
    // Each with the type the code declares, as the dev server's --search-attribute flags give it.
    const searchAttributes = Object.fromEntries(Object.entries(searchAttributeTypes).map(([name, type]) =>
      [name, indexed[`INDEXED_VALUE_TYPE_${type.toUpperCase() as Uppercase<typeof type>}`]]));
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = Object.fromEntries(Object.entries(searchAttributes).filter(([name]) => !(name in (existing.customAttributes ?? {}))));
    if (Object.keys(missing).length > 0) await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } finally {
    await connection.close();
  }
}
