// npm packages may ship .go files (flatted does). A go.mod makes
// node_modules a module of its own, so `go build/vet/test ./...` in the
// repository root skips it.
import { writeFileSync } from 'node:fs';

writeFileSync(new URL('../node_modules/go.mod', import.meta.url), 'module ignore_node_modules\n');
