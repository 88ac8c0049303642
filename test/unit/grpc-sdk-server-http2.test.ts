/**
 * The SDK-server protocol tests of grpc-sdk-server.test.ts against the node:http2 transport
 * (`nomen.sdk.transport=http2`, the default, docs/sdk-transport.md); that file alone runs on grpc-js.
 * The environment variable is set before the file is loaded, so its harness picks http2.
 */
process.env['NOMEN_SDK_TRANSPORT'] = 'http2';
await import('./grpc-sdk-server.test.js');
