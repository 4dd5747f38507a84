// Types for what lib/server/request-hooks.mjs exports (for its unit test; the
// server loads it with `node --import`, not through TypeScript).
export function createNonce(): string;
export function contentSecurityPolicy(nonce: string, options: { dev: boolean }): string;
