// The connectors' shared HTTP layer.
export * from './auth.js';
export * from './breaker.js';
export * from './client.js';
export * from './clock.js';
export * from './errors.js';
export * from './keystore.js';
export * from './oauth2.js';
export * from './paginate.js';
export * from './redact.js';
export * from './retry.js';
export * from './token.js';
export * from './ledger.js';
export * from './action-request.js';
export * from './metrics.js';
export * from './poll.js';
export * from './singleflight.js';
export * from './vendor-options.js';
