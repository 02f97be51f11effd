// Public surface of the adapter marketplace clients.
export * from './types.js';
export * from './ref.js';
export { sha256Digest, verifyDigest } from './digest.js';
export { parseAuthChallenges, basicAuthorization } from './auth.js';
export type { AuthChallenge } from './auth.js';
export { DEFAULT_RETRY, backoffDelay, isRetryableStatus } from './http.js';
export type { RetryPolicy } from './http.js';
export * from './oci.js';
