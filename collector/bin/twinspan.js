#!/usr/bin/env node
// Thin launcher so the `twinspan` bin exists before the first build; the CLI itself is compiled TypeScript.
await import('../dist/cli/main.js')
