import { describe, expect, test } from '@jest/globals';
import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { searchAttributeTypes } from '../../src/domain/search-attributes.js';
import { httpGet } from '../../src/local/http-probe.js';
import { readStackInfo } from './stack/stack-info.js';

describe('the Temporal dev server of the local stack', () => {
  test("registers the orchestrator's search attributes as Keyword", async () => {
    const connection = await Connection.connect({ address: readStackInfo().temporalAddress });
    try {
      const response = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      for (const name of Object.keys(searchAttributeTypes)) {
        expect(response.customAttributes[name]).toBe(proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
      }
    } finally {
      await connection.close();
    }
  });

  test('serves the Web UI', async () => {
    const { status, body } = await httpGet(readStackInfo().temporalUiUrl);
    expect(status).toBe(200);
    expect(body).toContain('<html');
  });
});
