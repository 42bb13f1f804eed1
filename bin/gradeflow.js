#!/usr/bin/env -S node --max-semi-space-size=16 --max-old-space-size=512
// Entry point of the `gradeflow` command; the code runs as TypeScript through Node's type stripping.
// The shebang's heap flags are SERVICE_NODE_FLAGS (src/cli/node-flags.ts says why).
import '../src/cli/main.ts';
