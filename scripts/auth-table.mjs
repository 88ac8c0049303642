// Prints the endpoint table of docs/auth.md from src/transport/http/auth-rules.ts (run after `npm run build`).
import { renderRulesTable } from '../dist/transport/http/auth-rules.js';

console.log(renderRulesTable());
