/**
 * The HTTP shell's one table from error codes to statuses (CONVENTIONS: errors). Every error body is
 * `{ "error": { "code": "AOS_…", "message": "…" } }`.
 */
import type { ErrorCode } from '../../kernel/errors.js';

/** The HTTP status for an error code. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'AOS_USAGE':
    case 'AOS_REQUEST_INVALID':
    case 'AOS_YAML_SYNTAX':
    case 'AOS_ORG_INVALID':
    case 'AOS_POLICY_INVALID':
    case 'AOS_POLICY_TEST_INVALID':
    case 'AOS_CONFIG_INVALID':
    case 'AOS_LEDGER_BODY_INVALID':
      return 400;
    case 'AOS_UNAUTHENTICATED':
      return 401;
    case 'AOS_FORBIDDEN':
    case 'AOS_DENIED':
      return 403;
    case 'AOS_BUDGET_EXCEEDED':
      return 429;
    case 'AOS_APPROVAL_PENDING':
    case 'AOS_HELD':
      return 202;
    case 'AOS_NOT_FOUND':
      return 404;
    case 'AOS_CONFLICT':
    case 'AOS_STORE_CONFLICT':
    case 'AOS_LEDGER_CONFLICT':
      return 409;
    case 'AOS_EXECUTOR_FAILED':
    case 'AOS_UPSTREAM_FAILED':
      return 502;
    case 'AOS_LEDGER_UNAVAILABLE':
    case 'AOS_STORE_UNAVAILABLE':
    case 'AOS_IO':
    case 'AOS_SANDBOX_UNAVAILABLE':
      return 503;
    case 'AOS_STORE_SCHEMA':
    case 'AOS_STORE_CORRUPT':
    case 'AOS_LEDGER_KEY_UNKNOWN':
    case 'AOS_LEDGER_CHAIN_INVALID':
    case 'AOS_CRYPTO_KEY_INVALID':
    case 'AOS_INTERNAL':
    case 'AOS_SANDBOX_FAILED':
      return 500;
  }
}
