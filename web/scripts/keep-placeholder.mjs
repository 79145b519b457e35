// Vite empties dist/ before each build; put back the committed placeholder
// that lets `go build` embed dist/ on a fresh clone (see web.go).
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/.gitkeep', import.meta.url), '');
