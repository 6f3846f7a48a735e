import { describe, expect, test } from '@jest/globals';
import { checkImageReference, isImageReference } from '../../src/domain/image-reference.js';

describe('image references', () => {
  test.each([
    'apache/spark:4.0.1', 'x', 'docker.io/apache/spark:4.0.1', 'registry.k8s.io/pause:3.10', 'localhost:5000/team/spark',
    'simulate.invalid/elyra/kernel-py:3.2.3', `spark@sha256:${'a'.repeat(64)}`, `registry.example.com/a/b:v1@sha256:${'0'.repeat(64)}`,
  ])('%s is one', (image) => {
    expect(isImageReference(image)).toBe(true);
  });

  test.each([
    '', 'Apache/Spark:4.0.1', 'apache/spark 4.0.1', 'apache/spark:', ':4.0.1', 'apache//spark', 'apache/spark:-bad', 'spark@sha256:short',
    `${'a'.repeat(256)}:1`, 'a/b:c/d',
  ])('%j is not', (image) => {
    expect(isImageReference(image)).toBe(false);
  });

  test('a bad one is a 400 naming the field', () => {
    expect(() => checkImageReference('app.image', 'Bad Image')).toThrow(expect.objectContaining({ code: 'VALIDATION', field: 'app.image' }));
  });
});
