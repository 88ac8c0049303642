// Copies non-TypeScript runtime assets (the gRPC .proto files) next to the compiled JavaScript.
import { cpSync, mkdirSync } from 'node:fs';
mkdirSync('dist/wire/proto', { recursive: true });
cpSync('src/wire/proto', 'dist/wire/proto', { recursive: true });
