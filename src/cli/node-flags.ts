// The V8 heap sizes every Gradeflow process runs with. They are Node flags, so they must be on
// the command line that starts the process (V8 fixes its heap limits at start; setting them
// later from inside changes nothing): `bin/gradeflow.js`'s shebang and package.json's scripts
// carry them, and whatever spawns a service (the bench, the chaos suite, the tests) passes
// SERVICE_NODE_FLAGS. node-flags.test.ts keeps those places equal to this list.
//
// Why, measured (docs/performance.md, "V8's heap on a large machine"): on a machine with 24 GiB
// V8 picks a young generation of 192 MiB (64 MiB semi-spaces) and, with a heap limit above
// 2 GiB, lets the old generation grow to 4 times its live size before a full collection. A
// worker with 50-60 MiB live reached 350-455 MiB resident at the exam peak. 16 MiB semi-spaces
// and a 512 MiB old generation (which lowers V8's growing factor to about 1.4) kept every
// service at 175-255 MiB with the same CPU; 512 MiB is still 8 times the live heap of the busiest worker, whose
// buffered records are bounded by maxInFlight.
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=16', '--max-old-space-size=512'];
