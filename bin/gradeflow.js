#!/usr/bin/env node
// Entry point of the `gradeflow` command; the code runs as TypeScript through Node's type stripping.
import '../src/cli/main.ts';
