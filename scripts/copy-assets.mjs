// Copies non-TypeScript runtime assets (the gRPC .proto files) next to the compiled JavaScript.
import { cpSync, mkdirSync } from 'node:fs';
mkdirSync('dist/transport/grpc/proto', { recursive: true });
cpSync('src/transport/grpc/proto', 'dist/transport/grpc/proto', { recursive: true });
