/**
 * Typed errors of the domain. Code anywhere throws these; they are mapped to HTTP statuses once
 * (src/api/errors.ts) and to non-retryable ApplicationFailure types once (activities).
 */
export type ErrorCode = 'VALIDATION' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'LIMIT_EXCEEDED' | 'UNAVAILABLE';

export class DomainError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly field?: string) {
    super(message);
    this.name = `${code}Error`;
  }
}

export const validationError = (field: string, message: string): DomainError => new DomainError('VALIDATION', message, field);
export const notFoundError = (message: string): DomainError => new DomainError('NOT_FOUND', message);
export const conflictError = (message: string): DomainError => new DomainError('CONFLICT', message);
