import { DomainError } from '../../src/domain/errors.js';

/** The DomainError that `run` throws; fails the test if it throws nothing or something else. */
export function domainFailure(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}
