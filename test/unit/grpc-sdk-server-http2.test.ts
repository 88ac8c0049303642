/**
 * The SDK-server protocol tests of grpc-sdk-server.test.ts against the grpc-js transport
 * (`nomen.sdk.transport=grpc-js`, docs/sdk-transport.md); that file runs on the default, http2.
 * The environment variable is set before the file is loaded, so its harness picks grpc-js.
 */
process.env['NOMEN_SDK_TRANSPORT'] = 'grpc-js';
await import('./grpc-sdk-server.test.js');
